"""Every diagnostic the compiler can report, in one table.

A :class:`DiagnosticDescriptor` holds a code's name, severity, message and hint
templates (``str.format`` over named values), an explanation, and a failing example
with the line and column where the diagnostic must point. The tests compile every
example; ``docs/diagnostics.md`` is generated from this table::

    python -m mbs.compiler.diagnostics --markdown > docs/diagnostics.md
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Literal

from mbs.dsl.ast import Span
from mbs.files import SCENARIO_LIMIT

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class DiagnosticDescriptor:
    code: str
    name: str
    severity: Severity
    title: str
    message: str  # template over the diagnostic's values
    hint: str  # template too; "did you mean" replaces it when a suggestion is known
    explanation: str
    example: str  # a source that triggers it
    line: int  # where the example's diagnostic points
    col: int
    files: dict[str, str] = field(default_factory=dict)  # other files the example imports
    # Files the example imports that only their size matters for: name -> size in bytes
    # (written as blanks by the test, so the table need not hold megabytes of text).
    blank_files: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    hint: str | None = None
    source_line: str | None = None  # the line the span starts on, for rendering

    @property
    def file(self) -> str:
        return self.span.file

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.span.file,
            "line": self.span.line,
            "column": self.span.col,
            "end_line": self.span.end_line,
            "end_column": self.span.end_col,
            "hint": self.hint,
        }


_HEAD = 'scenario s "Test" {\n    record no; disclosure no "test"\n}\n'

DESCRIPTORS: tuple[DiagnosticDescriptor, ...] = (
    # ------------------------------------------------------------------ syntax
    DiagnosticDescriptor(
        "E001",
        "SyntaxError",
        "error",
        "Syntax error",
        "unexpected {found}, expected {expected}",
        "{help}",
        "The parser met something the grammar does not allow at this place. The message "
        "lists what could have come instead.",
        _HEAD + 'step a {\n    say "Bonjour"\n    on yes pitch\n}\n',
        6,
        12,
    ),
    DiagnosticDescriptor(
        "E002",
        "UnterminatedString",
        "error",
        "Unterminated string",
        "unterminated string",
        'close the string with `"` on the same line (a string cannot span lines; use \\n)',
        "A string starts with a double quote and must end with one on the same line.",
        _HEAD + 'step a {\n    say "Bonjour\n    end NOT_INTERESTED\n}\n',
        5,
        9,
    ),
    DiagnosticDescriptor(
        "E003",
        "InvalidEscape",
        "error",
        "Unknown string escape",
        "unknown escape `{escape}` in a string",
        'the escapes are \\", \\\\, \\n, \\t and \\u00e9 (four hex digits, outside the surrogates D800-DFFF)',
        "Inside a string, a backslash starts an escape; only a few are defined.",
        _HEAD + 'step a {\n    say "C:\\dossier"\n    end NOT_INTERESTED\n}\n',
        5,
        12,
    ),
    DiagnosticDescriptor(
        "E004",
        "UnreadableSource",
        "error",
        "Not a text file",
        "this file is not UTF-8 text from here on",
        "save the scenario as UTF-8 text",
        "Scenario files are UTF-8 text; this one contains bytes that are not (or NUL bytes, "
        "or, given as a string, lone surrogates). The diagnostic points at the first one.",
        "scenario \x00\x01\x02",
        1,
        10,
    ),
    # ------------------------------------------------------------------ modules
    DiagnosticDescriptor(
        "E005",
        "ImportNotFound",
        "error",
        "Module or file not found",
        "cannot find `{module}` (looked for {looked})",
        "check the module name against mbs/stdlib, or the path against the importing file",
        "`use a.b` loads mbs/stdlib/a/b.mbs (or a/b.mbs next to the file); "
        '`import "x.mbs"` loads a file relative to the importing one.',
        _HEAD + "use intents.nowhere\n",
        4,
        5,
    ),
    DiagnosticDescriptor(
        "E026",
        "SourceTooLarge",
        "error",
        "Scenario file too large",
        "`{module}` is larger than {limit}, the most a scenario file may be",
        'split the file into modules (`import "x.mbs"`), or check that this is the file meant',
        "A scenario file, or a file it imports, is read only up to a size far past any real "
        "scenario (one of 20,000 steps is about 2 MiB), so that a wrong file given by mistake "
        "is refused at once instead of filling the memory.",
        _HEAD + 'import "enorme.mbs"\n',
        4,
        8,
        blank_files={"enorme.mbs": SCENARIO_LIMIT + 1},
    ),
    DiagnosticDescriptor(
        "E006",
        "MissingScenario",
        "error",
        "No scenario block",
        "this file has no `scenario` block",
        'add `scenario NAME "Title" {{ ... }}` at the top (modules hold declarations only)',
        "An entry file, and any file with steps, holds exactly one scenario block.",
        "step a {\n    end NOT_INTERESTED\n}\n",
        1,
        1,
    ),
    DiagnosticDescriptor(
        "E007",
        "ScenarioNotAllowed",
        "error",
        "Misplaced scenario, step or always block",
        "{problem}",
        "keep one scenario per entry file; modules hold intents, objections, personalities",
        "A file has one scenario block at most, and steps and `always` belong to the "
        "scenario file, not to the modules it imports.",
        _HEAD + 'scenario t "Other" {\n}\nstep a { end NOT_INTERESTED }\n',
        4,
        1,
    ),
    # ------------------------------------------------------------------ names
    DiagnosticDescriptor(
        "E008",
        "DuplicateName",
        "error",
        "Name declared twice",
        "{kind} `{name}` is declared twice",
        "also declared at {first}; rename or remove one",
        "Steps, intents, objection packs, personalities and objectives each live in one "
        "namespace across the scenario and everything it imports.",
        _HEAD + "step a { end NOT_INTERESTED }\nstep a { end QUALIFIED }\n",
        5,
        6,
    ),
    DiagnosticDescriptor(
        "E009",
        "UnknownStep",
        "error",
        "Unknown step",
        "no step named `{name}`",
        "declare `step {name} {{ ... }}` or fix the name",
        "A transition, `start` or a `then` names a step that does not exist.",
        _HEAD + "step a {\n    otherwise -> b\n}\n",
        5,
        18,
    ),
    DiagnosticDescriptor(
        "E010",
        "UnknownIntent",
        "error",
        "Unknown intent",
        "no intent named `{name}` in scope",
        "declare `intent {name} {{ ... }}` or `use` the module that defines it (e.g. "
        "`use intents.common`)",
        "`on NAME` reacts to an intent; intents come from the scenario file and the "
        "modules it uses.",
        _HEAD + 'intent oui { "oui" }\nstep a {\n    ask "Ça va ?"\n    on ouii -> a\n'
        "    otherwise -> a\n}\n",
        7,
        8,
    ),
    DiagnosticDescriptor(
        "E011",
        "UnknownPersonality",
        "error",
        "Unknown personality",
        "no personality named `{name}`",
        "declare `personality {name} {{ ... }}` or pick one of the stdlib personalities",
        "The header's `personality` and `extends` name a personality of the stdlib or "
        "of the scenario's files.",
        'scenario s "Test" {\n    record no\n    personality nobody_here\n}\n'
        "step a { end NOT_INTERESTED }\n",
        3,
        17,
    ),
    DiagnosticDescriptor(
        "E012",
        "UnknownObjective",
        "error",
        "Unknown objective",
        "no objective named `{name}`",
        "the objectives are {known}",
        "The header's `objective` names an objective declared in the stdlib "
        "(appointment, lead, transfer) or in the scenario's files.",
        'scenario s "Test" {\n    record no\n    objective sell_everything\n}\n'
        "step a { end NOT_INTERESTED }\n",
        3,
        15,
    ),
    DiagnosticDescriptor(
        "E013",
        "UnknownTheme",
        "error",
        "Unknown theme",
        "no objection pack for theme `{theme}`",
        "the themes are: {themes}",
        "`theme T` pulls the stdlib pack mbs/stdlib/objections/T.mbs, which must exist.",
        'scenario s "Test" {\n    record no\n    theme zzz_no_such_theme\n}\n'
        "step a { end NOT_INTERESTED }\n",
        3,
        11,
    ),
    DiagnosticDescriptor(
        "E014",
        "UnknownResult",
        "error",
        "Unknown result code",
        "`{name}` is not a result code",
        "the result codes are {known}",
        "`end` and `reach` take one of the store's result codes, in upper case.",
        _HEAD + "step a {\n    end RDV_OK\n}\n",
        5,
        9,
    ),
    DiagnosticDescriptor(
        "E015",
        "InvalidSetting",
        "error",
        "Invalid header or action value",
        "{problem}",
        "{help}",
        "A header setting or an action has a value outside what it accepts.",
        'scenario s "Test" {\n    record maybe\n}\nstep a { end NOT_INTERESTED }\n',
        2,
        12,
    ),
    DiagnosticDescriptor(
        "E016",
        "DuplicateSetting",
        "error",
        "Header setting given twice",
        "`{key}` is set twice in the scenario header",
        "keep one; the first is at {first}",
        "Each header setting appears at most once (`threshold` once per kind).",
        'scenario s "Test" {\n    record no\n    max_turns 10\n    max_turns 12\n}\n'
        "step a { end NOT_INTERESTED }\n",
        4,
        5,
    ),
    # ------------------------------------------------------------------ flow
    DiagnosticDescriptor(
        "E017",
        "NoWayOut",
        "error",
        "Step with no way out",
        "step `{step}` has no way out",
        "end it with `end RESULT` or `transfer`, or add a transition such as `otherwise -> STEP`",
        "Every step must end the call, transfer it, or lead somewhere.",
        _HEAD + 'step a {\n    say "Bonjour"\n}\n',
        4,
        6,
    ),
    DiagnosticDescriptor(
        "E018",
        "NoSilencePath",
        "error",
        "Listening step without a silence path",
        "step `{step}` listens but nothing handles silence",
        "add `on silence -> ...` or `otherwise -> ...` to the step, or `on silence` to `always`",
        "When the prospect says nothing, a listening step needs somewhere to go: its own "
        "`on silence`, `always`'s, or `otherwise`.",
        _HEAD + 'intent oui { "oui" }\nstep a {\n    ask "Ça va ?"\n    on oui -> b\n}\n'
        "step b { end QUALIFIED }\n",
        5,
        6,
    ),
    DiagnosticDescriptor(
        "E019",
        "UnboundedCycle",
        "error",
        "Loop that never listens",
        "steps {cycle} loop forever without listening",
        "listen in one of them (`ask`, `listen`) so `max_turns` bounds the loop, or go "
        "through a `retry` counter",
        "A cycle of steps that never waits for the prospect would spin without end; "
        "`max_turns` only counts listening turns.",
        _HEAD + 'step a {\n    say "Un"\n    otherwise -> b\n}\nstep b {\n    say "Deux"\n'
        "    otherwise -> a\n}\n",
        4,
        6,
    ),
    DiagnosticDescriptor(
        "E020",
        "UnknownVariable",
        "error",
        "Unknown template variable",
        "template variable `{var}` is not defined",
        "{help}",
        "Texts are jinja2 templates over contact fields (first_name, last_name, phone, "
        "email, company, tags, plus the header's `fields`), agent.name and agent.company "
        "(when the header declares an `agent`) and the variables the scenario captures "
        "or sets.",
        _HEAD + 'step a {\n    say "Bonjour {{ contact.prenom }}"\n    end NOT_INTERESTED\n}\n',
        5,
        21,
    ),
    DiagnosticDescriptor(
        "E021",
        "TemplateSyntax",
        "error",
        "Template syntax error",
        "template error: {error}",
        "texts use jinja2 syntax: {{{{ variable }}}}, {{% if ... %}}...{{% endif %}}",
        "A text could not be parsed as a jinja2 template.",
        _HEAD + 'step a {\n    say "Bonjour {{ contact.first_name "\n    end NOT_INTERESTED\n}\n',
        5,
        9,
    ),
    DiagnosticDescriptor(
        "E022",
        "ExtendsCycle",
        "error",
        "Personality extends itself",
        "personality `{name}` extends itself ({cycle})",
        "break the chain of `extends`",
        "`extends` chains must end at a personality that extends nothing.",
        _HEAD + 'personality a extends b { tone "x" }\npersonality b extends a { tone "y" }\n'
        "step s { end NOT_INTERESTED }\n",
        4,
        23,
    ),
    DiagnosticDescriptor(
        "E023",
        "InvalidTransition",
        "error",
        "Invalid transition",
        "{problem}",
        "{help}",
        "A transition whose case and target do not fit together: `answer objection` "
        "outside `on objection`, `retry 0`, a call event inside a step, a retry on a "
        "call event.",
        _HEAD + 'step a {\n    ask "Oui ?"\n    on silence -> answer objection then a\n'
        "    otherwise -> a\n}\n",
        6,
        19,
    ),
    DiagnosticDescriptor(
        "E024",
        "DuplicateTransition",
        "error",
        "Case handled twice",
        "`{case}` is handled twice in {where}",
        "the first handler is at {first}; remove one",
        "A step (or `always`) handles each case once.",
        _HEAD + 'step a {\n    ask "Oui ?"\n    on silence -> a\n    on silence -> b\n}\n'
        "step b { end NOT_INTERESTED }\n",
        7,
        8,
    ),
    DiagnosticDescriptor(
        "E025",
        "DtmfDigit",
        "error",
        "Invalid DTMF key",
        '`"{digit}"` is not a telephone key',
        "a DTMF case is one of 0-9, *, #, A-D",
        '`on dtmf "d"` takes a single telephone key.',
        _HEAD + 'step a {\n    ask "Tapez 1"\n    on dtmf "12" -> a\n    otherwise -> a\n}\n',
        6,
        13,
    ),
    DiagnosticDescriptor(
        "E055",
        "TemplateNotAllowed",
        "error",
        "Template feature not allowed",
        "texts may not use {what}",
        "texts read contact.*, agent.* and the scenario's variables, call the string "
        "methods upper, lower, capitalize, title, strip, split, startswith, endswith, and "
        "use the filters listed in docs/language.md",
        "Texts render in a sandbox: no attribute outside a short allow-list (string "
        "methods, `loop.*`), nothing starting with `_`, no macros, includes, imports, "
        "call blocks or recursive loops, and only the documented filters. The runtime "
        "enforces the same rules and bounds the work of every render, so this is a "
        "mistake caught early, not the only defence.",
        _HEAD
        + 'step a {\n    say "{{ contact.first_name.__class__ }}"\n    end NOT_INTERESTED\n}\n',
        5,
        32,
    ),
    # Codes E075+ and W060+ (issue 10): conversations that stay right.
    DiagnosticDescriptor(
        "E075",
        "AutomationNotDisclosed",
        "error",
        "Automation not disclosed",
        "the opening does not tell the prospect they are talking to an automated assistant",
        'say it in the first lines ("... je suis l\'assistante vocale automatisée de ...") or '
        'set `disclosure no "why"` in the header',
        "People must be told when they talk to an AI system (EU AI Act, article 50). One of "
        "the first two lines of the start step, before it first listens, must say so "
        '(a word such as "automatisé", "assistant virtuel", "robot", "intelligence '
        'artificielle"). A scenario that discloses it otherwise states why with '
        '`disclosure no "reason"`.',
        'scenario s "Test" {\n    record no\n}\nstep a {\n    say "Bonjour, ici Julie."\n'
        "    end NOT_INTERESTED\n}\n",
        5,
        9,
    ),
    DiagnosticDescriptor(
        "E076",
        "MissingCompanyFact",
        "error",
        "Company fact not provided",
        "this line states `company.{fact}`, which the header does not provide",
        'add `company {fact} "..."` to the scenario header',
        "Facts about the calling company (legal name, registration, where the contact "
        "data came from, a call-back number) are written once in the header, so no line "
        "asserts a fact nobody checked.",
        _HEAD + 'step a {\n    say "Nous sommes {{ company.legal_name }}."\n'
        "    end NOT_INTERESTED\n}\n",
        5,
        25,
    ),
    DiagnosticDescriptor(
        "E077",
        "UnknownCaptureKind",
        "error",
        "Unknown capture kind",
        "`{kind}` is not a kind of capture",
        "the kinds are: when (a day and a time)",
        "A typed capture (`capture NAME as KIND`) understands one kind of answer; `when` "
        "reads French dates and times relative to the call.",
        _HEAD + 'step a {\n    ask "Quand ?"\n    capture slot as date\n'
        "    otherwise -> end QUALIFIED\n}\n",
        6,
        21,
    ),
    DiagnosticDescriptor(
        "E078",
        "ConfirmUntyped",
        "error",
        "Confirm of an untyped variable",
        "`confirm {var}` needs `{var}` captured with a kind",
        "capture it first with `capture {var} as when`",
        "`confirm` reads a value back and takes a correction of it, which it must be able "
        "to understand: the variable must come from a typed capture.",
        _HEAD + 'step a {\n    ask "Quand ?"\n    capture slot\n    otherwise -> b\n}\n'
        'step b {\n    confirm slot "C\'est bien {{ slot }} ?"\n    otherwise -> end QUALIFIED\n}\n',
        10,
        13,
    ),
    # ------------------------------------------------------------------ warnings
    DiagnosticDescriptor(
        "W001",
        "UnreachableStep",
        "warning",
        "Unreachable step",
        "step `{step}` is never reached",
        "no transition leads here from the start step or from `always`",
        "Nothing leads to this step; it is dead text (or a transition has a typo).",
        _HEAD + "step a { end NOT_INTERESTED }\nstep b { end QUALIFIED }\n",
        5,
        6,
    ),
    DiagnosticDescriptor(
        "W002",
        "RecordingNotAnnounced",
        "warning",
        "Recording not announced",
        "the call is recorded but the first line does not announce it",
        'announce it first ("... cet appel est enregistré."), or set `record no`',
        "With `record yes` (the default), the first line spoken in the start step must "
        'tell the prospect the call is recorded (it must contain "enregistr").',
        'scenario s "Test" {\n}\nstep a {\n    say "Bonjour !"\n    end NOT_INTERESTED\n}\n',
        4,
        9,
    ),
    DiagnosticDescriptor(
        "W003",
        "LineTooLong",
        "warning",
        "Line too long to speak",
        "this line has {words} words (more than 40)",
        "split it into several `say`s or shorten it",
        "Over about 40 words, a spoken line loses the listener and delays barge-in.",
        _HEAD + 'step a {\n    say "' + " ".join(["mot"] * 41) + '"\n    end NOT_INTERESTED\n}\n',
        5,
        9,
    ),
    DiagnosticDescriptor(
        "W004",
        "FreestyleWithoutMax",
        "warning",
        "Freestyle without max",
        "`freestyle` without `max`: the LLM may answer until max_turns",
        "bound it: `freestyle max 3 {{ ... }}`",
        "An unbounded freestyle keeps answering as long as the prospect talks.",
        _HEAD + "step a {\n    freestyle\n    otherwise -> b\n}\nstep b { end QUALIFIED }\n",
        5,
        5,
    ),
    DiagnosticDescriptor(
        "W005",
        "ObjectiveResultUnreachable",
        "warning",
        "Objective result never produced",
        "objective `{objective}` expects {result}, but no path ends with it",
        "{help}",
        "An objective lists the results a scenario of its kind must be able to reach "
        "(an appointment scenario that can never end with APPOINTMENT_SCHEDULED is "
        "certainly wrong).",
        'scenario s "Test" {\n    record no\n    objective rdv\n}\nobjective rdv {\n'
        '    guidance "Obtenir un rendez-vous."\n    reach APPOINTMENT_SCHEDULED\n}\n'
        "step a { end NOT_INTERESTED }\n",
        3,
        15,
    ),
    DiagnosticDescriptor(
        "W006",
        "CloseObjections",
        "warning",
        "Objections too similar",
        'objections "{a}" ({pack_a}) and "{b}" ({pack_b}) are so similar ({score:.0%}) that one '
        "may never win",
        "merge them (one text with `|` variants) or make them distinct",
        "When two objections in scope are near duplicates, the matcher picks one "
        "arbitrarily and the other's response is never spoken.",
        _HEAD + 'objections p {\n    "Je n\'ai pas le temps" => "Deux minutes."\n'
        '    "Je n\'ai pas le temps." => "Très rapide."\n}\nstep a { end NOT_INTERESTED }\n',
        6,
        5,
    ),
    DiagnosticDescriptor(
        "W007",
        "SharedExample",
        "warning",
        "Example shared by two intents",
        'example "{example}" belongs to both `{a}` and `{b}`',
        "keep it in one intent",
        "An utterance given as an example of two intents cannot tell them apart.",
        _HEAD + 'intent oui { "d\'accord" }\nintent ok { "d\'accord" }\n'
        "step a { end NOT_INTERESTED }\n",
        5,
        13,
    ),
    DiagnosticDescriptor(
        "W008",
        "ObjectionLikeExample",
        "warning",
        "Objection equal to an intent example",
        'objection "{objection}" is also an example of intent `{intent}`',
        "remove one: the intent and the objection compete for the same words",
        "An objection that reads exactly like an intent's example makes the dispatch "
        "depend on score ties.",
        _HEAD + 'intent non { "pas intéressé" }\nobjections p {\n'
        '    "pas intéressé" => "Je comprends."\n}\nstep a { end NOT_INTERESTED }\n',
        6,
        5,
    ),
    DiagnosticDescriptor(
        "W009",
        "TransitionsAfterEnd",
        "warning",
        "Transitions after the call ends",
        "step `{step}` {ends} before its transitions: they are never taken",
        "remove the transitions, or the `{action}` if the step should go on",
        "A step's transitions are taken after its actions; once it has ended the call "
        "(`end`) or handed it over (`transfer`), there is nothing left to route.",
        _HEAD + 'step a {\n    say "Au revoir"\n    end NOT_INTERESTED\n    otherwise -> a\n}\n',
        7,
        5,
    ),
    DiagnosticDescriptor(
        "W010",
        "NoObjectionsInScope",
        "warning",
        "Objection handler without objections",
        "`on objection` can never fire: no objection pack is in scope",
        "set a `theme` in the header, `use objections.NAME`, or declare `objections NAME {{ ... }}`",
        "Objections come from the theme's packs, the packs a scenario uses, and the packs "
        "it declares; with none, the handler is dead.",
        _HEAD + 'step a {\n    ask "Alors ?"\n    on objection -> b\n    otherwise -> b\n}\n'
        "step b { end QUALIFIED }\n",
        6,
        8,
    ),
    DiagnosticDescriptor(
        "W060",
        "SafeDefaultOverridden",
        "warning",
        "Safe default replaced",
        "`on {case}` here replaces the safe default ({default})",
        "keep it if this is deliberate; remove it to get the default",
        "Every scenario honours stop requests, answers robot questions honestly, handles "
        "requests for a human and goodbyes, and ends alcohol calls with vulnerable people, "
        "without writing anything. A handler that does something else for these cases "
        "replaces the default, and the compiler says so. A `stop_calling` handler whose "
        "step records `opt_out` keeps the default's meaning and is not reported.",
        _HEAD + 'use intents.common\nstep a {\n    ask "Bonjour, ici un assistant '
        'automatisé. Vous avez deux minutes ?"\n    on goodbye -> a\n    otherwise -> b\n}\n'
        "step b { end QUALIFIED }\n",
        7,
        8,
    ),
    DiagnosticDescriptor(
        "W061",
        "FallbackRepeated",
        "warning",
        "Same line twice in a row",
        "`{line}` can be said twice in a row, word for word",
        "give the retry its own line, or rephrase the question it repeats; a retry with its "
        "own line says it at each try: `retry 1` says it once",
        "A prospect who did not understand a line does not understand it better the "
        "second time: a retry that repeats the line just said (the step's question, or its "
        "own line when it loops) should rephrase it. A retry has one line, said at each "
        "try; a second, different line needs a step of its own.",
        _HEAD + 'step a {\n    ask "Vous avez deux minutes ?"\n'
        "    on unclear -> retry 2 then b\n    otherwise -> b\n}\nstep b { end QUALIFIED }\n",
        6,
        19,
    ),
    DiagnosticDescriptor(
        "W062",
        "FallbackWithoutQuestion",
        "warning",
        "Fallback line without a question",
        "this fallback line does not end with a question",
        "end it with a question, so the prospect knows it is their turn",
        "A fallback or retry line is said when the robot did not understand; it must hand "
        "the turn back with a question, or the prospect waits in silence.",
        _HEAD + 'step a {\n    freestyle max 1 { fallback "Un conseiller vous répondra." }\n'
        "    otherwise -> end QUALIFIED\n}\n",
        5,
        32,
    ),
    DiagnosticDescriptor(
        "W011",
        "ThresholdAboveCalibrated",
        "warning",
        "Threshold above the calibrated range",
        "`threshold {kind} {value}` is above the calibrated range of the default NLU "
        "(up to {high})",
        "remove the line to use the calibrated threshold, or check the accuracy with "
        "`mbs nlu eval` before raising it",
        "The default NLU's thresholds were fitted on labelled French answers "
        "(`mbs/nlu/calibration.json`); above that range it rejects answers it recognises "
        "correctly, and the call goes to `unclear` instead.",
        'scenario s "Test" {\n    record no; disclosure no "test"\n    threshold objection 0.9\n}\n'
        "step a { end NOT_INTERESTED }\n",
        3,
        25,
    ),
    DiagnosticDescriptor(
        "W012",
        "SparseObjection",
        "warning",
        "Objection with too few phrasings",
        'objection "{text}" has {count} phrasing(s) and borrows none from the library: the '
        "prospect's own words for it will rarely be recognised",
        "give it more phrasings in the words prospects use, {needed} at least (the "
        "library's have a dozen): "
        '`"{text}" | "..." | "..."`',
        "The NLU recognises an objection by its phrasings. An objection with fewer than "
        "three borrows the phrasings of the library objection that says the same thing "
        "(`mbs inspect` lists what it borrows); one that says nothing the library says has "
        "only its own. On paraphrases written by people who never saw the phrasings, "
        "customers' objections in that state were recognised one time in eight, and about "
        "one time in six with two more phrasings each; the library's, with a dozen "
        "phrasings each, two times in three (docs/nlu.md).",
        _HEAD + 'objections p {\n    "Ma porte est blindée" => "Une alarme prévient avant."\n}\n'
        "step a { end NOT_INTERESTED }\n",
        5,
        5,
    ),
)

BY_NAME = {d.name: d for d in DESCRIPTORS}
BY_CODE = {d.code: d for d in DESCRIPTORS}


def make(name: str, span: Span, /, **values: Any) -> Diagnostic:
    """Build the diagnostic ``name`` (a descriptor name) from its template values."""
    desc = BY_NAME[name]
    message = desc.message.format(**values)
    suggestion = values.get("suggestion")
    hint = f"did you mean `{suggestion}`?" if suggestion else desc.hint.format(**values)
    return Diagnostic(desc.code, desc.name, desc.severity, message, span, hint or None)


# ------------------------------------------------------------------ documentation


def markdown() -> str:
    """docs/diagnostics.md, generated from :data:`DESCRIPTORS`."""
    out = [
        "# Diagnostics",
        "",
        "Generated from `mbs/compiler/diagnostics.py` by "
        "`python -m mbs.compiler.diagnostics --markdown > docs/diagnostics.md`; do not edit.",
        "",
        "Errors (`E…`) stop compilation; warnings (`W…`) are reported by `mbs compile` and "
        "`mbs lint` and fail only under `--strict`. `mbs lint --explain CODE` prints one "
        "entry.",
        "",
        "| code | name | severity | title |",
        "|---|---|---|---|",
    ]
    out += [
        f"| [{d.code}](#{d.code.lower()}) | {d.name} | {d.severity} | {d.title} |"
        for d in DESCRIPTORS
    ]
    for d in DESCRIPTORS:
        out += [
            "",
            f"## {d.code}",
            "",
            f"**{d.name}** ({d.severity}): {d.title}.",
            "",
            d.explanation,
            "",
            f"Message: `{d.message}`",
            "",
            f"Example (reported at line {d.line}, column {d.col}):",
            "",
            "```mbs",
            d.example.rstrip("\n")
            .replace("\x00", "\\x00")
            .replace("\x01", "\\x01")
            .replace("\x02", "\\x02"),
            "```",
        ]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--markdown"]:
        sys.stdout.write(markdown())
    else:
        print("usage: python -m mbs.compiler.diagnostics --markdown", file=sys.stderr)
        sys.exit(2)

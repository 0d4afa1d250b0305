"""Scripted callers: who picks up the simulated phone, and what they say.

A persona is data (frozen dataclasses); call.py plays it against the robot. Which persona
answers a number is decided by a weighted mix and a seed, so the same seed and number
always give the same caller (``random.Random(f"{seed}:{number}")``), and a
``sim_persona=<kind>`` channel variable in the originate string forces one.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from mbs.program import Capture, Dispatch, Jump, Listen, Program


class PersonaKind(StrEnum):
    HUMAN = "human"  # answers after N rings, says scripted lines after each prompt
    SILENT = "silent"  # answers, never speaks, hangs up after a while
    NO_ANSWER = "no_answer"  # rings until originate_timeout: NO_ANSWER
    BUSY = "busy"  # SIP 486: USER_BUSY
    REJECTED = "rejected"  # SIP 603: CALL_REJECTED
    MACHINE = "machine"  # voicemail: amd says MACHINE/LONGGREETING, greeting transcript
    HANGUP_MID_PROMPT = "hangup_mid_prompt"  # hangs up while a prompt plays
    BARGE_IN = "barge_in"  # speaks over the prompts
    DTMF = "dtmf"  # answers with keypad digits


@dataclass(frozen=True, slots=True)
class Turn:
    """What the caller does after (or during) one robot prompt."""

    text: str = ""  # words said (French), delivered as recognised speech
    digits: str = ""  # keys pressed instead, as DTMF events
    pause_s: float = 0.8  # silence between the end of the prompt and the first word
    barge_in_s: float | None = None  # start talking this far into the prompt instead
    confidence: float = 0.92

    @property
    def speech_s(self) -> float:
        """How long saying ``text`` takes: about 2.8 words a second."""
        return max(0.4, len(self.text.split()) / 2.8)


@dataclass(frozen=True, slots=True)
class Persona:
    kind: PersonaKind
    rings: int = 2  # rings before answering (one ring = ring_s simulated seconds)
    ring_s: float = 5.0  # French ring cadence: 1.5 s on, 3.5 s off
    turns: tuple[Turn, ...] = ()
    hangup_after_silence_s: float | None = 30.0  # caller gives up after this much quiet
    hangup_on_prompt: int | None = None  # 1-based prompt during which the caller hangs up
    hangup_into_prompt_s: float = 1.2
    opener: str = ""  # said right after answer: "Allô ?", or a voicemail greeting
    amd_result: str = "HUMAN"
    amd_cause: str = "HUMAN"
    amd_decision_s: float = 1.5  # how long the amd app listens before deciding
    failure_after_s: float = 1.0  # busy/rejected: time from INVITE to the final response
    name: str = ""

    @property
    def answers(self) -> bool:
        return self.kind not in (PersonaKind.NO_ANSWER, PersonaKind.BUSY, PersonaKind.REJECTED)


# --------------------------------------------------------------------- script banks

_OPENERS = ("Allô ?", "Oui, allô ?", "Allô, oui ?", "Oui ?")
_SCRIPTS: tuple[tuple[str, ...], ...] = (
    (
        "Oui, c'est moi.",
        "Oui, ça m'intéresse, dites-m'en plus.",
        "D'accord, ça me va.",
        "Au revoir.",
    ),
    ("Oui.", "Non merci, ça ne m'intéresse pas.", "Non, vraiment pas.", "Au revoir."),
    ("C'est moi, oui.", "Je n'ai pas le temps, rappelez-moi demain.", "Demain matin.", "Merci."),
    ("Oui, c'est pour quoi ?", "C'est combien ?", "C'est trop cher pour moi.", "Non merci."),
    ("Oui.", "Retirez-moi de votre liste, s'il vous plaît.", "Merci, au revoir."),
    (
        "Euh, oui.",
        "Je ne comprends pas, vous pouvez répéter ?",
        "Ah d'accord.",
        "Oui pourquoi pas.",
    ),
    # agreeable prospects who take an appointment (a slot, then a day)
    (
        "Oui, allez-y.",
        "Non, pas encore.",
        "Oui, ça m'intéresse.",
        "Plutôt le matin.",
        "Jeudi, ça me va.",
        "Merci, au revoir.",
    ),
    (
        "Oui, je vous écoute.",
        "Oui, quelques pièces.",
        "Pourquoi pas, oui.",
        "L'après-midi de préférence.",
        "Mardi.",
        "Très bien, merci.",
    ),
)
_GREETINGS = (
    "Bonjour, vous êtes bien sur la messagerie de {who}. Je ne suis pas disponible pour le "
    "moment, laissez-moi un message après le bip sonore et je vous rappellerai.",
    "Bonjour, vous êtes sur le répondeur de {who}, merci de laisser un message après le bip.",
    "Le correspondant que vous cherchez à joindre n'est pas disponible. Veuillez laisser un "
    "message après le bip sonore.",
)
_NAMES = ("Marie Dupont", "Jean Martin", "Sophie Bernard", "Luc Petit", "Nathalie Moreau")


# ------------------------------------------------------------- scripts from a scenario

# The noise of real speech: what STT hands over rather than what people meant to write.
_FILLERS = ("euh", "ben", "bah", "alors", "bon", "hmm")
_SPELLINGS = {"oui": "ouais", "d'accord": "d'acc", "je ne": "j'", "je suis": "chuis"}
_DATES = (
    "jeudi matin",
    "demain vers dix heures",
    "mardi après-midi",
    "la semaine prochaine",
    "vendredi à quatorze heures trente",
    "après-demain en fin de matinée",
)
_CORRECTIONS = ("non, plutôt", "enfin non,", "ah non pardon,")


def _examples(program: Program, intent: str) -> tuple[str, ...]:
    return next((i.examples for i in program.intents if i.name == intent), ())


def _noisy(text: str, rng: random.Random) -> str:
    """``text`` as a recogniser may hand it over: a filler, a spelling, no punctuation."""
    out = text
    if rng.random() < 0.3:
        out = f"{rng.choice(_FILLERS)} {out}"
    if rng.random() < 0.3:
        for written, said in _SPELLINGS.items():
            if out.startswith(written) or f" {written}" in out:
                out = out.replace(written, said, 1)
                break
    if rng.random() < 0.5:
        out = out.lower().rstrip(" ?!.")
    return out


def _answer(
    program: Program, step_code: Sequence[object], mood: str, rng: random.Random
) -> tuple[str, str]:
    """What a caller in ``mood`` says to one listening step of ``program``, and the case
    the step should route it to (``captured`` or an intent's name)."""
    captures = [ins for ins in step_code if isinstance(ins, Capture)]
    if mood == "agreeable":
        for cap in captures:
            if cap.kind == "when":
                first, second = rng.sample(_DATES, 2)
                said = f"{first}, {rng.choice(_CORRECTIONS)} {second}"
                return (said if rng.random() < 0.3 else first), "captured"
            if cap.choices:
                first, second = (
                    rng.sample(list(cap.choices), 2)
                    if len(cap.choices) > 1
                    else (cap.choices[0],) * 2
                )
                if rng.random() < 0.3:
                    return f"{first}, {rng.choice(_CORRECTIONS)} {second}", "captured"
                return f"plutôt {second}", "captured"
    intent = {
        "agreeable": "yes",
        "refusing": rng.choice(("no", "not_interested")),
        "stopping": "stop_calling",
        "curious": rng.choice(("question", "who_is_calling", "robot_question")),
        "busy": "callback",
        "leaving": "goodbye",
    }[mood]
    examples = _examples(program, intent) or _examples(program, "yes") or ("oui",)
    return rng.choice(examples), intent


def scripts_for(program: Program, count: int = 12, seed: int = 0) -> tuple[tuple[str, ...], ...]:
    """Callers who speak ``program``'s language: answers drawn from its own intents,
    capture choices (with corrections), typed captures (dates), and objections, plus the
    noise of real speech. Each script follows one mood through the listening steps."""
    rng = random.Random(f"scripts:{seed}:{program.scenario.name}")
    starts = sorted((a, name) for name, a in program.steps.items())

    def code_of(step: str) -> Sequence[object]:
        start = program.steps[step]
        after = [a for a, _ in starts if a > start]
        return program.code[start : min(after) if after else len(program.code)]

    def step_at(address: int | None) -> str | None:
        """The step an address belongs to (None: past the steps, a call-wide handler)."""
        if address is None:
            return None
        owner = [name for a, name in starts if a <= address]
        return owner[-1] if owner else None

    objections = [
        (o.text, *o.variants) for pack in program.objection_packs for o in pack.objections
    ]
    moods = (
        "agreeable",
        "agreeable",
        "agreeable",
        "objecting",
        "refusing",
        "curious",
        "busy",
        "stopping",
        "leaving",
    )
    scripts: list[tuple[str, ...]] = []
    for i in range(count):
        mood = moods[i % len(moods)]
        lines: list[str] = []
        step: str | None = program.entry_step if hasattr(program, "entry_step") else None
        step = step or step_at(program.entry)
        # Follow the scenario: each answer goes where the step routes it, so the next
        # line answers the question the robot asks next, not the next step in the file.
        while step is not None and len(lines) < 8:
            code = code_of(step)
            dispatch = next((ins for ins in code if isinstance(ins, Dispatch)), None)
            if dispatch is None or not any(isinstance(ins, Listen) for ins in code):
                # a step that does not listen: follow where it goes on its own
                jump = next((ins for ins in code if isinstance(ins, Jump)), None)
                nxt = step_at(jump.target) if jump is not None else None
                step = nxt if nxt != step else None
                continue
            if mood == "objecting" and objections and rng.random() < 0.5:
                lines.append(rng.choice(rng.choice(objections)))
                continue  # answered, then the same question again
            step_mood = "agreeable" if mood in ("objecting", "agreeable") else mood
            text, case = _answer(program, code, step_mood, rng)
            lines.append(text)
            if mood in ("refusing", "stopping", "leaving"):
                break  # the call ends here
            if mood in ("curious", "busy") and len(lines) >= 2:
                break
            target = (
                dispatch.captured if case == "captured" else dispatch.intents.get(case)
            ) or dispatch.otherwise
            nxt = step_at(target)
            step = nxt if nxt != step else None
        scripts.append(tuple(_noisy(line, rng) for line in lines or ["oui"]))
    return tuple(scripts)


def build(
    kind: PersonaKind,
    rng: random.Random,
    scripts: tuple[tuple[str, ...], ...] = _SCRIPTS,
) -> Persona:
    """A persona of ``kind`` with its details (rings, script, pauses) drawn from ``rng``;
    ``scripts``: the bank its lines come from (see :func:`scripts_for`)."""
    rings = rng.randint(1, 4)
    lines = rng.choice(scripts or _SCRIPTS)
    opener = rng.choice(_OPENERS)

    def turns(barge: bool = False) -> tuple[Turn, ...]:
        out = []
        for i, text in enumerate(lines):
            pause = round(rng.uniform(0.4, 1.6), 2)
            out.append(Turn(text=text, pause_s=pause, barge_in_s=1.0 if barge and i > 0 else None))
        return tuple(out)

    if kind is PersonaKind.HUMAN:
        return Persona(kind, rings=rings, opener=opener, turns=turns())
    if kind is PersonaKind.BARGE_IN:
        return Persona(kind, rings=rings, opener=opener, turns=turns(barge=True))
    if kind is PersonaKind.DTMF:
        digit_turns = (Turn(text=lines[0]), Turn(digits=rng.choice("12")), Turn(digits="1"))
        return Persona(kind, rings=rings, opener=opener, turns=digit_turns)
    if kind is PersonaKind.SILENT:  # mod_amd hears nothing for initial_silence (2.5 s)
        return Persona(
            kind,
            rings=rings,
            hangup_after_silence_s=rng.choice((20.0, 30.0, 45.0)),
            amd_result="NOTSURE",
            amd_cause="INITIALSILENCE",
            amd_decision_s=2.5,
        )
    if kind is PersonaKind.HANGUP_MID_PROMPT:
        return Persona(
            kind,
            rings=rings,
            opener=opener,
            turns=turns()[:1],
            hangup_on_prompt=rng.randint(1, 2),
            hangup_into_prompt_s=round(rng.uniform(0.5, 2.0), 2),
        )
    if kind is PersonaKind.MACHINE:
        greeting = rng.choice(_GREETINGS).format(who=rng.choice(_NAMES))
        return Persona(
            kind,
            rings=rng.randint(3, 5),
            opener=greeting,
            amd_result="MACHINE",
            amd_cause="LONGGREETING",
            amd_decision_s=3.5,
            hangup_after_silence_s=60.0,
        )
    # the ones that never answer
    return Persona(kind, rings=rings, failure_after_s=round(rng.uniform(0.3, 3.0), 2))


DEFAULT_MIX: dict[PersonaKind, float] = {
    PersonaKind.HUMAN: 55,
    PersonaKind.SILENT: 5,
    PersonaKind.NO_ANSWER: 12,
    PersonaKind.BUSY: 6,
    PersonaKind.REJECTED: 3,
    PersonaKind.MACHINE: 10,
    PersonaKind.HANGUP_MID_PROMPT: 3,
    PersonaKind.BARGE_IN: 4,
    PersonaKind.DTMF: 2,
}


# Other names a campaign file or ``--personas`` may use for a persona kind.
PERSONA_ALIASES: dict[str, PersonaKind] = {
    "hangup": PersonaKind.HANGUP_MID_PROMPT,
    "silence": PersonaKind.SILENT,
    "voicemail": PersonaKind.MACHINE,
    "answering_machine": PersonaKind.MACHINE,
}


def persona_kind(name: str) -> PersonaKind:
    """The kind a persona name (or alias) stands for; ValueError lists the known ones."""
    key = name.strip().lower().replace("-", "_")
    try:
        return PERSONA_ALIASES.get(key) or PersonaKind(key)
    except ValueError:
        known = ", ".join(k.value for k in PersonaKind)
        raise ValueError(f"unknown persona {name.strip()!r} (known: {known})") from None


def parse_mix(text: str) -> dict[PersonaKind, float]:
    """``"human=60,busy=10,machine=30"`` -> weights; raises ValueError with a clear message."""
    mix: dict[PersonaKind, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, weight = part.partition("=")
        kind = persona_kind(name)
        try:
            value = float(weight) if sep else 1.0
        except ValueError:
            raise ValueError(f"persona weight must be a number: {part!r}") from None
        if value < 0:
            raise ValueError(f"persona weight must not be negative: {part!r}")
        mix[kind] = value
    if not mix or sum(mix.values()) <= 0:
        raise ValueError("the persona mix needs at least one positive weight")
    return mix


@dataclass
class PersonaBook:
    """Chooses the persona for each dialled number: pinned, forced by variable, or drawn."""

    seed: int = 0
    mix: dict[PersonaKind, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    pinned: dict[str, Persona] = field(default_factory=dict)
    scripts: tuple[tuple[str, ...], ...] = _SCRIPTS  # scripts_for(program) speaks a scenario

    def choose(self, number: str, variables: dict[str, str] | None = None) -> Persona:
        if number in self.pinned:
            return self.pinned[number]
        rng = random.Random(f"{self.seed}:{number}")
        forced = (variables or {}).get("sim_persona", "")
        if forced:
            try:
                return replace(build(PersonaKind(forced), rng, self.scripts), name=forced)
            except ValueError:
                pass  # an unknown name falls back to the mix, as a real switch ignores it
        kinds = [k for k, w in self.mix.items() if w > 0]
        kind = rng.choices(kinds, weights=[self.mix[k] for k in kinds])[0]
        return build(kind, rng, self.scripts)

"""Small intents and objection packs built by hand, independent of the stdlib; what a
program's matchers are built from."""

from __future__ import annotations

from collections.abc import Callable

from mbs.program import (
    End,
    Enter,
    Intent,
    Objection,
    ObjectionPack,
    Program,
    Result,
    Scenario,
    Thresholds,
)

INTENTS = (
    Intent(
        name="yes",
        examples=(
            "oui",
            "ouais",
            "d'accord",
            "bien sûr",
            "c'est ça",
            "exactement",
            "ok",
            "volontiers",
            "tout à fait",
            "allez-y",
        ),
        keywords=("oui",),
    ),
    Intent(
        name="no",
        examples=(
            "non",
            "non merci",
            "pas du tout",
            "certainement pas",
            "absolument pas",
            "surtout pas",
        ),
        keywords=("non",),
    ),
    Intent(
        name="interested",
        examples=(
            "je suis intéressé",
            "ça m'intéresse",
            "ça m'intéresse beaucoup",
            "dites-m'en plus",
        ),
    ),
    Intent(
        name="not_interested",
        examples=("je ne suis pas intéressé", "ça ne m'intéresse pas", "pas intéressé"),
    ),
    Intent(
        name="callback",
        examples=(
            "rappelez-moi plus tard",
            "vous pouvez me rappeler demain",
            "rappelez-moi la semaine prochaine",
        ),
        keywords=("rappeler", "rappelez"),
    ),
    Intent(
        name="stop_calling",
        examples=("ne m'appelez plus", "retirez-moi de votre liste", "arrêtez de m'appeler"),
    ),
    Intent(
        name="slot_ok",
        examples=("mardi me va", "jeudi c'est bon", "oui pour le rendez-vous"),
        keywords=("mardi", "jeudi", "rendez-vous"),
    ),
)

PACKS = (
    ObjectionPack(
        name="objections.standard",
        objections=(
            Objection(
                text="Je n'ai pas le temps",
                variants=("je suis pressé", "pas maintenant", "je suis occupé"),
                response="Je comprends, deux minutes suffiront.",
            ),
            Objection(
                text="Envoyez-moi un mail",
                variants=("envoyez-moi la documentation",),
                audio="audio/mail.wav",
            ),
            Objection(
                text="Comment avez-vous eu mon numéro ?",
                variants=("où avez-vous trouvé mon numéro", "qui vous a donné mon numéro"),
                response="Votre numéro provient d'un fichier de prospection.",
            ),
            Objection(
                text="C'est trop cher",
                variants=("je n'ai pas les moyens",),
                response="Parlons budget.",
            ),
            Objection(text="Je dois en parler à mon conjoint", response="Bien sûr."),
        ),
    ),
    ObjectionPack(
        name="objections.or",
        objections=(
            Objection(
                text="L'or est trop risqué",
                variants=("l'or ça baisse aussi",),
                response="L'or est une valeur refuge.",
            ),
            Objection(text="J'ai déjà un conseiller", response="Un second avis ne coûte rien."),
        ),
    ),
)


def make_program(
    intents: tuple[Intent, ...] = INTENTS,
    packs: tuple[ObjectionPack, ...] = PACKS,
    intent_threshold: float | None = None,
    objection_threshold: float | None = None,
) -> Program:
    """A minimal valid program (one step that ends) carrying intents and objections."""
    return Program(
        compiler_version="test",
        source_hash="0" * 64,
        scenario=Scenario(
            name="t",
            title="test",
            thresholds=Thresholds(intent=intent_threshold, objection=objection_threshold),
        ),
        consts=(),
        intents=intents,
        objection_packs=packs,
        personalities=(),
        code=(Enter(step="s"), End(result=Result.NOT_INTERESTED)),
        steps={"s": 0},
        entry=0,
    )


def written_wordings(program: Program, form: Callable[[str], str]) -> set[str]:
    """Every intent example and objection phrasing the program's matchers are built
    from, each put in ``form`` (for tests that keep other sentences apart from them)."""
    written = {form(e) for i in program.intents for e in i.examples}
    written |= {
        form(phrase)
        for p in program.objection_packs
        for o in p.objections
        for phrase in (o.text, *o.variants)
    }
    return written

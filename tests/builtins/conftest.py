"""Programs for the builtin tests, built directly as data (no compiler needed)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fake_ollama import FakeOllama

from mbs.program import (
    Agent,
    AmdPhrases,
    End,
    Intent,
    Objection,
    ObjectionPack,
    Objective,
    Personality,
    Program,
    Result,
    Scenario,
)


def make_program(**changes: object) -> Program:
    base: dict[str, object] = {
        "compiler_version": "test",
        "source_hash": "0" * 64,
        "scenario": Scenario(
            name="or_rdv",
            title="Prise de RDV investissement or",
            objective="appointment",
            personality="julie",
            agent=Agent(name="Julie", company="Aurum Conseil"),
        ),
        "consts": ("Bonjour {{ contact.first_name }}", "Au revoir."),
        "intents": (
            Intent(name="yes", examples=("oui", "d'accord", "bien sûr", "volontiers")),
            Intent(name="no", examples=("non", "pas du tout", "non merci", "jamais")),
            Intent(
                name="slot_ok",
                examples=("mardi me va", "jeudi c'est bon", "oui pour le rendez-vous"),
                keywords=("mardi", "jeudi"),
            ),
        ),
        "objection_packs": (
            ObjectionPack(
                name="objections.standard",
                objections=(
                    Objection(
                        text="Je n'ai pas le temps",
                        variants=("je suis pressé",),
                        response="Je comprends, deux minutes suffiront.",
                    ),
                    Objection(text="Envoyez-moi un mail", audio="audio/mail.wav"),
                ),
            ),
        ),
        "personalities": (
            Personality(
                name="julie",
                tone="chaleureuse et précise",
                style="phrases courtes, vouvoiement",
                example="Je vous propose un créneau mardi matin, cela vous irait ?",
            ),
        ),
        "objective": Objective(
            name="appointment",
            guidance="Obtenir un rendez-vous daté avec un conseiller.",
            results=(Result.APPOINTMENT_SCHEDULED,),
        ),
        "amd": AmdPhrases(
            machine=(
                "vous êtes bien sur la messagerie de",
                "laissez un message après le bip",
                "n'est pas disponible pour le moment",
                "je ne suis pas joignable",
            ),
            human=("allô", "oui allô", "j'écoute", "oui bonjour"),
        ),
        "code": (End(result=Result.NOT_QUALIFIED),),
        "steps": {"intro": 0},
        "entry": 0,
    }
    base.update(changes)
    return Program.model_validate(base)


@pytest.fixture
def program() -> Program:
    return make_program()


@pytest.fixture
async def ollama_server() -> AsyncIterator[FakeOllama]:
    server = FakeOllama()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()

"""French word lists used by the normaliser: stop words, negations, speech-to-text variants.

Every entry is written in *folded* form (lower case, no accents), because the normaliser
folds accents before it looks words up. The lists are deliberately conservative: a word
that can change what the prospect means (``pas``, ``non``, ``oui``, ``plus``, ``jamais``,
``rien``, ``deja``, ``trop``, ``tout``, ``si``, ``merci``...) is never a stop word.
"""

from __future__ import annotations

# Words that carry no meaning for intent or objection matching. They stay in the
# "full" token list (used when a phrase has nothing else, e.g. "c'est ça"), and are
# dropped from the "content" tokens that drive the scores.
STOP_WORDS: frozenset[str] = frozenset(
    """
    le la les un une des du de au aux a
    et ou mais donc car
    je tu il elle on nous vous ils elles me te se moi toi lui leur eux
    ce cet cette ces ca cela ceci ci
    mon ma mes ton ta tes son sa ses notre nos votre vos leurs
    y en que dont
    ne
    suis es est sommes etes sont etait etais ete etre
    ai as avons avez ont avais avait
    pour par avec dans sur sous chez vers entre
    tres bien
    euh heu hum hmm bah ben beh bon alors enfin voila hein genre bref ah oh eh he
    franchement vraiment honnetement ecoutez ecoute bon disons
    madame monsieur mademoiselle
    truc machin chose quelque quelques quelqu juste
    beaucoup tellement hyper attendez
    """.split()  # noqa: SIM905  (a word list reads better as text)
)

# Markers of a negative sentence. "ne" is often dropped in speech ("j'ai pas le
# temps"), so the particle alone is enough but not required. "Je refuse de" says "je ne
# veux pas" without a negation word. "plus" is a negation only next to "ne" ("je n'en
# veux plus"); alone it usually means "more".
NEGATIONS: frozenset[str] = frozenset(
    {"ne", "pas", "jamais", "rien", "aucun", "aucune", "non", "ni", "refuse", "refuser", "refusez"}
)

# A number said in figures or in words, for the variants that read quantities.
_COUNT = (
    r"\d+|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze"
    r"|quinze|seize|vingt|trente|quarante|cinquante|soixante|cent|cents|mille"
)
_AMOUNT = rf"{_COUNT}|un|une"

# Spoken and speech-to-text spellings, rewritten before elisions are expanded. Keys are
# regular expressions over folded text, matched on word boundaries; order matters
# (longest first).
SPEECH_VARIANTS: tuple[tuple[str, str], ...] = (
    # être / savoir / vouloir contractions
    (r"j'suis|j suis|jsuis|chuis|chui", "je suis"),
    (
        r"j'sais pas|j sais pas|jsais pas|chais pas|chaispas|che pas|chepas|(?<!je )sais pas",
        "je sais pas",
    ),
    (r"j'veux|jveux", "je veux"),
    (r"j'peux|jpeux", "je peux"),
    (r"jai", "j'ai"),
    (r"t'es", "tu es"),
    (r"(?<!il )(?:y'a|y a|ya)", "il y a"),
    (r"p'tet|ptet|p'tetre|ptetre", "peut etre"),
    # yes / agreement
    (r"ouaip|ouep|ouai|ouais|ouaii+s?|wai", "ouais"),
    (r"okay|okey|oke|o\.k\.?|ok+", "ok"),
    (r"nan+|nope", "non"),
    (r"d'acc|dac|d'ac|dacc|d accord|daccord", "d'accord"),
    # double negations: saying no to "no" is a (soft) yes
    (
        r"(?:je |j'|j )?(?:ne |n')?(?:dis|dirais|dirai) pas non"
        r"|(?:je |j')?(?:ne |n')?suis pas contre"
        r"|(?:ce |c')?(?:n'est |n est |est )pas (?:impossible|exclu)",
        "pourquoi pas",
    ),
    # negated idioms that agree: "ça ne me dérange pas", "c'est pas de refus"
    (
        r"(?:(?:ça|cela) )?(?:ne |n')?(?:me |nous )?(?:dérange|gêne|derangerait|dérangerait)"
        r" pas",
        "sans probleme",
    ),
    (r"(?:ce |c')?(?:n'est |est )?pas de refus", "volontiers"),
    (r"pas le moins du monde", "pas du tout"),
    (r"si si(?: si)*", "oui oui"),  # "si" repeated is a yes to a negative question
    # the doubled back-channel "mh mh" agrees; a single "hum", "hmm" hesitates, and "hm hm"
    # (thinking) or "mm mm" (lips closed, often a no) are left alone
    (r"mh mh|mhm|mhmh|mmh mmh", "oui"),
    # idioms whose words mean something else alone ("entendu" is not "entendre")
    (r"bien entendu|c'est entendu", "certain"),  # "bien sûr" (whose "sûr" became "certain")
    # idioms that look negative but are not
    (r"pas de (?:probleme|problemes|souci|soucis)", "sans probleme"),
    (r"pas mal", "beaucoup"),
    (r"n'importe|n importe|peu importe", "nimporte"),  # "peu importe le jour": any day
    # abbreviations and spellings
    (r"bcp", "beaucoup"),
    (r"svp|stp|s'il vous plait|s'il te plait|je vous en prie|je t'en prie", ""),  # politeness
    (r"si jamais", "si"),  # "if ever", not a negation
    (r"(?<!oui )(?:ou (?:pas|non|quoi)[\W_]*)+$", ""),  # tag questions: "c'est gratuit ou pas ?"
    (r"hors de question", "pas question"),
    # "quoi" closing a filler asks nothing: "bon ben voilà quoi", "bref quoi"
    (r"(voila|bref|enfin) quoi$", r"\1"),
    # "pas plus" bounding a quantity is no refusal: "pas plus de dix euros", "deux
    # minutes mais pas plus", "jusqu'à trente pas plus" say a maximum
    (rf"pas plus (?:de |d')({_AMOUNT})", r"maximum \1"),
    # ("un peu mais pas plus que ça" stays: "un" is no amount there)
    (rf"((?:{_COUNT})(?: \w+)?) (?:mais )?pas plus(?: que ca)?$", r"\1 maximum"),
    (r"rendez-vous|rendez vous|rdv", "rendezvous"),
    (r"e-mail|e mail|email|courriel|mail", "mail"),
    (r"aujourd'hui|aujourd hui|aujourdhui", "aujourdhui"),
)

# Elided articles and pronouns, expanded so that "l'argent" and "le argent" agree.
ELISIONS: dict[str, str] = {
    "j": "je",
    "l": "le",
    "qu": "que",
    "c": "ce",
    "d": "de",
    "n": "ne",
    "s": "se",
    "m": "me",
    "t": "te",
    "jusqu": "jusque",
    "lorsqu": "lorsque",
    "puisqu": "puisque",
    "quoiqu": "quoique",
}

# Ordinals said for counts ("la dixième fois" is "dix fois"); keys folded.
ORDINALS: dict[str, str] = {
    "deuxieme": "deux",
    "troisieme": "trois",
    "quatrieme": "quatre",
    "cinquieme": "cinq",
    "sixieme": "six",
    "septieme": "sept",
    "huitieme": "huit",
    "neuvieme": "neuf",
    "dixieme": "dix",
    "vingtieme": "vingt",
    "centieme": "cent",
    "millieme": "mille",
}

# Small numbers spoken or transcribed as digits; rewritten as words so that "2 minutes"
# and "deux minutes" agree. Larger numbers stay digits (dates, amounts, times).
NUMBER_WORDS: dict[str, str] = {
    "0": "zero",
    "1": "un",
    "2": "deux",
    "3": "trois",
    "4": "quatre",
    "5": "cinq",
    "6": "six",
    "7": "sept",
    "8": "huit",
    "9": "neuf",
    "10": "dix",
    "11": "onze",
    "12": "douze",
    "15": "quinze",
    "20": "vingt",
    "30": "trente",
}

# Words that mean the same thing in a sales call, mapped to one canonical word before
# stemming: "j'en parle à ma femme" and "je dois voir avec mon conjoint" share a token.
# Kept small and unambiguous in this setting; keys are folded.
_SYNONYM_GROUPS: dict[str, tuple[str, ...]] = {
    "conjoint": (
        "conjointe",
        "mari",
        "femme",
        "epouse",
        "epoux",
        "compagnon",
        "compagne",
        "concubin",
        "concubine",
        "cheri",
        "cherie",
    ),
    "documentation": (
        "doc",
        "docs",
        "courrier",
        "brochure",
        "brochures",
        "plaquette",
        "depliant",
        "prospectus",
        "catalogue",
    ),
    "argent": ("sous", "fric", "moyens", "thune", "budget", "finances", "pognon", "oseille"),
    "societe": ("entreprise", "boite", "compagnie", "firme", "agence"),
    "arnaque": (
        "arnaques",
        "escroquerie",
        "escroqueries",
        "arnaqueur",
        "arnaqueurs",
        "escroc",
        "escrocs",
        "arnaquer",
        "magouille",
        "magouilles",
        "entourloupe",
        "entourloupes",
        "bidon",
    ),
    "age": ("agee", "ages", "vieux", "vieille"),
    "faut": ("dois", "doit", "devoir", "devrais", "falloir"),
    "long": ("longtemps", "longue"),
    "telephone": ("tel", "phone", "telephonique"),
    "internet": ("web", "net", "google"),
    "chantier": ("travaux", "chantiers"),
    "difficile": ("dur", "dure", "complique", "compliquee", "galere"),
    "habite": ("vis", "vit", "vivons", "vivez", "habitons", "habitez", "habitent", "loge"),
    "cher": (
        "chere",
        "chers",
        "cheres",
        "couteux",
        "couteuse",
        "onereux",
        "onereuse",
        "ruineux",
        "ruineuse",
        "exorbitant",
        "exorbitants",
        "prohibitif",
    ),
    "occupe": ("occupee", "deborde", "debordee", "overbooke", "overbookee", "surbooke"),
    "travail": ("boulot", "taf", "job", "emploi"),
    "enfant": ("gamin", "gamine", "gamins", "gosse", "gosses", "mome", "momes"),
    "banque": ("banquier", "banquiere", "banques"),
    "appartement": ("appart", "apparts"),
    "proprietaire": ("proprio", "proprios"),
    "gratuit": ("gratos", "gratuite", "gratuits"),
    "decede": ("mort", "morte", "decedee", "defunt", "defunte"),
    "robot": ("automate", "bot", "chatbot", "androide", "robots"),
    # negative words: "je n'y connais rien" and "je m'y connais pas" say the same
    "pas": ("rien", "aucun", "aucune", "jamais"),
}
SYNONYMS: dict[str, str] = {w: canon for canon, words in _SYNONYM_GROUPS.items() for w in words}

# Light words: meaningful, but too common to tell one objection from another ("deux",
# "ans", "faire", "va"). They count for less in the token score (``Weights.light``).
LIGHT_WORDS: frozenset[str] = frozenset(
    """
    zero un deux trois quatre cinq six sept huit neuf dix onze douze quinze vingt trente
    cent cents mille an ans annee annees jour jours mois semaine fois heure heures
    faire fait fais font va vais vas allez aller vont peut peux pouvez veux veut voulez
    voir vois dire dit mettre met prendre prends avoir eu tout tous toute toutes
    ici comme deja encore toujours moment peu
    """.split()  # noqa: SIM905
)

# Spoken French drops the "ne" (``mbs.nlu.normalize._spoken_negation``): the words
# that make "personne" the noun, not the pronoun ("la personne", "une vraie personne").
NOUN_BEFORE_PERSONNE: frozenset[str] = frozenset((
    "la", "une", "cette", "de", "d", "aucune", "ma", "ta", "sa", "notre", "votre", "leur",
    "quelle", "autre", "meme", "seule", "chaque", "toute", "bonne", "mauvaise", "grande",
    "vieille", "jeune", "premiere", "derniere", "en", "par", "quelque", "tierce", "simple",
    "vraie", "certaine", "seconde", "nouvelle", "telle",
))  # fmt: skip
# after these, "plus" is a quantity or a comparison ("un peu plus", "en plus")
NOT_NO_LONGER_BEFORE: frozenset[str] = frozenset((
    "de", "d", "en", "le", "la", "les", "au", "un", "une", "peu", "bien", "beaucoup",
    "encore", "non", "ni", "et", "ou", "pas", "trop", "meme", "que", "qu", "tout", "rien",
    "deux", "fois", "toujours", "jamais", "sans", "moi", "nous", "vous",
))  # fmt: skip
# before these, "plus" is "no longer" ("plus ici", "plus son numéro", "plus jamais")
NO_LONGER_AFTER: frozenset[str] = frozenset((
    "ici", "la", "chez", "jamais", "rien", "personne", "du", "aucun", "aucune", "son",
    "sa", "ses", "mon", "ma", "mes", "ton", "ta", "leur", "leurs", "notre", "votre", "le",
    "les", "besoin", "envie", "possible", "question", "valable", "dispo", "disponible",
))  # fmt: skip

# "plus" before an infinitive is "no longer" ("je veux plus recevoir vos appels"): verbs
# in -er, -ir, -oir and the common ones in -re; not the adjectives and nouns with those
# endings that follow a comparative "plus".
INFINITIVE_ENDINGS: tuple[str, ...] = ("er", "ir", "oir")
NOT_INFINITIVES: frozenset[str] = frozenset((
    "cher", "leger", "premier", "dernier", "fier", "entier", "amer", "hier", "mer", "hiver",
    "super", "soir", "noir", "espoir", "loisir", "plaisir", "desir", "avenir", "souvenir",
    "clair", "trottoir", "couloir", "miroir", "pouvoir", "devoir", "tir", "cuir", "air",
))  # fmt: skip
INFINITIVES_IN_RE: frozenset[str] = frozenset((
    "etre", "faire", "dire", "prendre", "mettre", "vendre", "attendre", "entendre", "boire",
    "lire", "croire", "vivre", "suivre", "comprendre", "apprendre", "repondre", "perdre",
    "rendre", "ecrire", "descendre",
))  # fmt: skip

# "-ier" ends adjectives far more often than verbs ("plus particulier", "plus régulier")
VERBS_IN_IER: frozenset[str] = frozenset((
    "oublier", "etudier", "modifier", "verifier", "confier", "remercier", "apprecier",
    "publier", "justifier", "prier", "crier", "nier",
))  # fmt: skip
TIMES_OF_DAY: frozenset[str] = frozenset(
    ("matin", "midi", "soir", "apres", "week", "weekend", "nuit")
)

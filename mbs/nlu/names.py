"""French first names, for the rules that read who the caller asked for.

"y a pas de Monique ici", "Jean-Pierre il habite plus là", "il y a aucun Lucas à cette
adresse": a first name said where the contact's name goes tells the contact is not on
the line, as "y a pas de monsieur Durand ici" does. A bare noun in the same place is
often a thing ("y a pas de fibre ici", "pas de rose dans le jardin"), so the rules take
only the names of this list: common given names of the generations a campaign reaches,
folded (lower case, no accents), written from general knowledge. Names that are also
everyday words or words of a sales call (Rose, Pierre, Claire, Marine, Blanche, France,
Victoire, Olive, Grâce, Constance, Clément, Ange, Jade, Aurore, Noël, Olivier, and Louis
of the louis d'or) are left out: "y a pas de pierre ici" may be about a wall. A compound
("Jean-Pierre", "Marie-Claire") is two names in a row, or one of them followed by a word
left out here.
"""

from __future__ import annotations

_MEN = """
    adam adrien alain alban albert alexandre alexis alfred alphonse andre antoine
    antonin armand arnaud arthur augustin aurelien axel baptiste bastien benjamin
    benoit bernard bertrand bruno cedric charles christian christophe claude come
    corentin cyril cyrille damien daniel david denis didier dimitri dominique dylan
    edouard emile emilien emmanuel enzo eric erwan etienne evan fabien fabrice felix
    fernand florent florian francis franck francois frederic gabriel gael gaetan
    gaston gauthier georges gerald gerard gilbert gilles gregoire gregory guillaume
    gustave guy henri herve hugo hugues jacques jean jeremie jeremy jerome joel johan
    jonathan jordan joseph josselin jules julien kevin kylian laurent leo leon leonard
    lionel loic lorenzo luc lucas lucien ludovic maceo marc marcel marius
    mathieu mathis matheo matthieu maurice maxence maxime michel mickael nathan
    nicolas norbert oscar pascal patrice patrick paul philippe quentin
    raphael raymond regis remi remy renaud rene richard robert robin rodolphe roger
    roland romain romuald sacha samuel sebastien serge simon stephane sylvain
    theo theophile thibault thibaut thierry thomas timothee tristan valentin valery
    victor vincent william xavier yann yannick yves yvon
"""
_WOMEN = """
    adele adeline agathe agnes alice aline amandine amelie anais andree angelique
    anne annette annick annie antoinette ariane armelle audrey axelle beatrice
    berenice bernadette brigitte camille carole caroline catherine cecile celine
    chantal charlotte chloe christelle christiane christine clarisse claudine
    clemence colette coralie corinne danielle delphine denise diane dominique
    dorothee edith eliane elise elodie eloise emilie emma emmanuelle estelle eva
    evelyne fabienne fanny florence francine francoise gabrielle genevieve
    georgette germaine ghislaine gisele helene henriette huguette ines irene
    isabelle jacqueline jeanne jeannine jocelyne josette josiane josephine judith
    julia julie juliette justine karine laetitia laure laurence lea leonie liliane
    lina lise lola lou louise lucie lucienne lydie madeleine maelle magali manon
    marcelle margaux marie marielle marion marthe martine maryse mathilde
    melanie melissa michele micheline mireille monique muriel myriam nadia nadine
    nathalie nelly nicole noemie odette odile oceane pascale patricia paulette
    pauline rachel raymonde regine renee sabine sandrine sarah severine simone
    solange sonia sophie stephanie suzanne sylvie therese valerie vanessa veronique
    virginie viviane yvette yvonne zoe
"""
FIRST_NAMES: frozenset[str] = frozenset((_MEN + _WOMEN).split())
# One name; a name, or two in a row ("jean pierre", "marie claire" once hyphens are
# spaces).
ONE_NAME = "(?:" + "|".join(sorted(FIRST_NAMES, key=len, reverse=True)) + ")"
FIRST_NAME = ONE_NAME + r"(?: \w+)?"

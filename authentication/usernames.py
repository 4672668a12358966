"""What makes two usernames one name, and which names are refused as look-alikes.

Pure functions of strings: the model, the serializers, the filters and the migrations all
fold a name here, so that every path agrees on what "the same username" means.
"""

import unicodedata

from django.core.exceptions import ValidationError

# Scripts with letters that look alike (Latin "a", Cyrillic "а", Greek "α").
LOOK_ALIKE_SCRIPTS = ("LATIN", "GREEK", "CYRILLIC")


def username_key(name: str) -> str:
    """The canonical fold of `name`: two usernames are one name when their keys are equal.

    NFKC, then case folding, then NFKC again (the usual approximation of Unicode's
    NFKC_Casefold): full-width `ａｌｉｃｅ`, `ALICE` and `alice` fold alike, and so do the
    Kelvin sign and `K`. Then the combining marks that sit on Latin letters are dropped, so
    that `émile` and `emile` are one name, and so are `ALİCE` and `alice` (case folding turns
    the Turkish `İ` into "i" plus a combining dot above). Marks on other scripts' letters stay:
    Cyrillic `й` and `и` are different letters.

    Computed in Python, not in SQL, so that SQLite (whose LOWER knows only ASCII) and
    PostgreSQL agree; the result is stored in `User.username_key`, which is unique.
    """
    if name.isascii():  # what the fold below comes to for ASCII, at a twentieth of the cost
        return name.lower()
    return unicode_fold(name)


def unicode_fold(name: str) -> str:
    """`username_key` of any name, step by step."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    kept = []
    on_latin_letter = False
    for character in unicodedata.normalize("NFD", folded):
        if unicodedata.category(character).startswith("M"):
            if on_latin_letter:
                continue
        else:
            on_latin_letter = letter_script(character) == "LATIN"
        kept.append(character)
    return unicodedata.normalize("NFKC", "".join(kept))


def letter_script(character: str) -> str | None:
    """The script of a letter as its Unicode name starts ("LATIN", "GREEK", ...), or None."""
    if not character.isalpha():
        return None
    return unicodedata.name(character, "").partition(" ")[0] or None


def validate_one_alphabet(name: str) -> None:
    """Refuse a username that mixes Latin, Greek and Cyrillic letters.

    A Cyrillic "а" inside an otherwise Latin name is the classic way to pass for somebody
    else. Letters of other scripts, digits and punctuation may go with any of the three.
    Raises ValidationError.
    """
    scripts = {letter_script(character) for character in name} & set(LOOK_ALIKE_SCRIPTS)
    if len(scripts) > 1:
        mixed = " and ".join(sorted(script.title() for script in scripts))
        raise ValidationError(
            "Use the letters of one alphabet: this username mixes %(scripts)s letters.",
            code="mixed_scripts",
            params={"scripts": mixed},
        )

"""`Corpus`: a text split into train, validation and (optionally) test."""

import dataclasses

from lmzoo.data.tokenizers.characters_and_words import tokenizer_for_level


@dataclasses.dataclass
class Corpus:
    """A text corpus split into train / validation (/ test).

    Args:
        name: str. The corpus name or path it was loaded from.
        level: `"char"` or `"word"`.
        splits: dict of split name -> text.

    Example:
    >>> corpus = Corpus("toy", "char", {"train": "abab", "validation": "ba"})
    >>> corpus.build_tokenizer().vocabulary_size
    3
    """

    name: str
    level: str
    splits: dict

    @property
    def train(self):
        """The training text."""
        return self.splits["train"]

    @property
    def validation(self):
        """The validation text."""
        return self.splits["validation"]

    @property
    def test(self):
        """The test text, or `None` when the corpus has no test split."""
        return self.splits.get("test")

    def build_tokenizer(self, **kwargs):
        """Builds the corpus' tokenizer from its training split.

        Args:
            **kwargs: passed to the tokenizer's `from_text`.

        Returns:
            A `CharTokenizer` or `WordTokenizer`.

        Raises:
            ValueError: the training split is empty.
        """
        if not self.splits.get("train", "").strip():
            raise ValueError(
                f"The training split of corpus {self.name!r} is empty: there is "
                "no text to build a vocabulary from."
            )
        return tokenizer_for_level(self.level, self.splits["train"], **kwargs)

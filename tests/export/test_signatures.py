"""Every serving signature, called from a process that never imports lmzoo.

One module fixture exports a GPT and an LSTM (char tokenizer), a BERT
token classifier (WordPiece) and a translator (SentencePiece); one
subprocess, started with `python -I` and importing only TensorFlow and
tensorflow-text, loads each and calls every signature; the answers must be
the in-memory model's: logits to 1e-5, strings identical.
"""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from lmzoo import models
from lmzoo.data import WordPieceTokenizer
from lmzoo.data.preprocessors import BertPreprocessor
from lmzoo.data.readers.conll import CONLL2003_TAGS
from lmzoo.data.tokenizers.sentencepiece import SentencePieceTokenizer
from lmzoo.data.translation import TranslationPreprocessor
from lmzoo.export import save

PROMPTS = ["ROMEO: ", "JULIET: what is it"]
IDS = [[5, 6, 7, 8, 9, 10], [11, 12, 13, 14, 0, 0]]
MASK = [[True] * 6, [True] * 4 + [False] * 2]
SENTENCES = ["Peter Blackburn visited Brussels on Monday", "the EU rejects it"]
SOURCES = ["Tom is here.", "Where is the station?", "I am hungry."]

_CLIENT = """
import json, sys
import tensorflow as tf
import tensorflow_text  # the WordPiece and SentencePiece ops

request = json.loads(sys.argv[2])
answers = {}
for name in ("gpt", "lstm"):
    served = tf.saved_model.load(f"{sys.argv[1]}/{name}/1")
    ids = tf.constant(request["ids"], tf.int32)
    answers[name] = {
        "serve": served.serve(ids)["logits"].numpy().tolist(),
        "serve_padded": served.serve_padded(ids, tf.constant(request["mask"]))[
            "logits"].numpy().tolist(),
        "greedy": served.generate(
            prompt=tf.constant(request["prompts"]), max_new_tokens=20,
            temperature=0.0, top_k=0, seed=0)["generated"].numpy().tolist(),
        "sampled": served.generate(
            tf.constant(request["prompts"]), 20, 0.8, 5, 7)["continuation"]
            .numpy().tolist(),
        "tokenize": served.tokenize(tf.constant("ROMEO"))["token_ids"].numpy().tolist(),
        "tokenize_batch": served.tokenize_batch(tf.constant(["RO", "M"]))[
            "token_ids"].numpy().tolist(),
        "detokenize": served.detokenize(tf.constant([3, 4]))["text"].numpy().decode(),
    }
tagger = tf.saved_model.load(f"{sys.argv[1]}/tagger/1")
tagged = tagger.tag(tf.constant(request["sentences"]))
answers["tagger"] = {key: value.numpy().tolist() for key, value in tagged.items()}
translator = tf.saved_model.load(f"{sys.argv[1]}/translator/1")
answers["translator"] = translator.translate(tf.constant(request["sources"]))[
    "translation"].numpy().tolist()
answers["lmzoo_loaded"] = any(m.startswith("lmzoo") for m in sys.modules)
print(json.dumps(answers, default=bytes.decode))
"""


def _tagger():
    tokenizer = WordPieceTokenizer.train(
        [s.lower() for s in SENTENCES] * 20 + ["visit", "brussel"], 60
    )
    return models.BertTokenClassifier(
        vocabulary_size=tokenizer.vocabulary_size,
        num_layers=1,
        hidden_dim=16,
        num_heads=2,
        num_classes=len(CONLL2003_TAGS),
        label_names=list(CONLL2003_TAGS),
        preprocessor=BertPreprocessor(tokenizer, sequence_length=6),
    )


def _translator():
    source = SentencePieceTokenizer.train(SOURCES * 10 + ["Tom", "hungry"], 30)
    target = SentencePieceTokenizer.train(["Tom está aquí.", "Tengo hambre."] * 9, 30)
    return models.Seq2SeqTransformer(
        source.vocabulary_size,
        target_vocabulary_size=target.vocabulary_size,
        num_layers=1,
        hidden_dim=16,
        num_heads=2,
        max_sequence_length=24,
        preprocessor=TranslationPreprocessor(source, target, 24),
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory, shakespeare_tokenizer):
    tokenizer = shakespeare_tokenizer
    built = {
        "gpt": models.get("gpt-nano", tokenizer.vocabulary_size, tokenizer=tokenizer),
        "lstm": models.get(
            "lstm-small", tokenizer.vocabulary_size, tokenizer=tokenizer
        ),
        "tagger": _tagger(),
        "translator": _translator(),
    }
    folder = tmp_path_factory.mktemp("signatures")
    for name, model in built.items():
        save(model, folder / name / "1")
    request = {
        "ids": IDS,
        "mask": MASK,
        "prompts": PROMPTS,
        "sentences": SENTENCES,
        "sources": SOURCES,
    }
    result = subprocess.run(
        [sys.executable, "-I", "-c", _CLIENT, str(folder), json.dumps(request)],
        capture_output=True,
        text=True,
        cwd=folder,
        env={"TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return built, json.loads(result.stdout.strip().splitlines()[-1]), folder


@pytest.mark.parametrize("name", ["gpt", "lstm"])
def test_language_model_signatures_answer_as_the_model(exported, name):
    built, answers, _ = exported
    model, served = built[name], answers[name]
    assert not answers["lmzoo_loaded"]
    ids = np.array(IDS, "int32")
    np.testing.assert_allclose(served["serve"], model(ids), atol=1e-5)
    padded = model({"token_ids": ids, "padding_mask": np.array(MASK)})
    np.testing.assert_allclose(served["serve_padded"], padded, atol=1e-5)
    assert served["greedy"] == model.generate(PROMPTS, max_new_tokens=20)
    sampled = model.generate(
        PROMPTS, max_new_tokens=20, strategy="sample", temperature=0.8, top_k=5, seed=7
    )
    assert served["sampled"] == [
        text[len(prompt) :] for text, prompt in zip(sampled, PROMPTS, strict=True)
    ]
    tokenizer = model.tokenizer
    assert served["tokenize"] == tokenizer.encode("ROMEO").tolist()
    assert served["tokenize_batch"] == [
        tokenizer.encode("RO").tolist(),
        [*tokenizer.encode("M").tolist(), 0],
    ]
    assert served["detokenize"] == tokenizer.decode([3, 4])


def test_tag_gives_the_tags_predict_gives(exported):
    built, answers, _ = exported
    expected = built["tagger"].predict(SENTENCES)
    served = answers["tagger"]
    words = [row for row in served["words"]]
    tags = [row for row in served["tags"]]
    for row, sentence in enumerate(SENTENCES):
        count = len(sentence.split())
        assert words[row][:count] == sentence.split()
        assert tags[row][:count] == expected[row]
        assert set(tags[row][count:]) <= {""}
        assert served["tag_ids"][row][:count] == [
            CONLL2003_TAGS.index(tag) for tag in expected[row]
        ]
        assert set(served["tag_ids"][row][count:]) <= {-1}


def test_words_past_the_sequence_length_get_tag_zero(exported):
    """Six pieces hold four words: the first sentence's last two are cut."""
    _, answers, _ = exported
    assert len(SENTENCES[0].split()) == 6
    assert answers["tagger"]["tags"][0][4:] == ["O", "O"]
    assert answers["tagger"]["tag_ids"][0][4:] == [0, 0]


def test_translate_gives_the_beam_search_translations(exported):
    built, answers, _ = exported
    assert answers["translator"] == built["translator"].translate(SOURCES)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ((["ROMEO:"], 5, -1.0, 0, 0), "temperature must be >= 0"),
        ((["ROMEO:"], 5, 1.0, -2, 0), "top_k must be >= 0"),
        ((["ROMEO:"], 0, 1.0, 0, 0), "max_new_tokens must be >= 1"),
        ((["ROMEO:", ""], 5, 1.0, 0, 0), "every prompt needs at least one token"),
        (
            (["ROMEO:"], 200, 1.0, 0, 0),
            "max_new_tokens exceeds max_sequence_length=128",
        ),
    ],
)
def test_generate_refuses_bad_settings_by_name(exported, arguments, message):
    _, _, folder = exported
    served = tf.saved_model.load(str(folder / "gpt" / "1"))
    prompt, *settings = arguments
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        served.generate(tf.constant(prompt), *settings)


def _cli(*arguments):
    cli = pathlib.Path(sys.executable).with_name("saved_model_cli")
    return subprocess.run(
        [str(cli), *arguments],
        capture_output=True,
        text=True,
        check=True,
        env={"TF_CPP_MIN_LOG_LEVEL": "3"},
    ).stdout


def test_saved_model_cli_shows_every_signature(exported):
    _, _, folder = exported
    shown = _cli("show", "--dir", str(folder / "gpt" / "1"), "--all")
    for signature in ("serve", "serve_padded", "generate", "tokenize", "detokenize"):
        assert f"signature_def['{signature}']" in shown
    for name in ("prompt", "max_new_tokens", "temperature", "top_k", "seed"):
        assert f"inputs['{name}']" in shown
    assert "outputs['generated']" in shown and "outputs['continuation']" in shown


def test_saved_model_cli_runs_generate(exported):
    built, _, folder = exported
    output = _cli(
        "run",
        "--dir",
        str(folder / "gpt" / "1"),
        "--tag_set",
        "serve",
        "--signature_def",
        "generate",
        "--input_exprs",
        "prompt=['ROMEO: '];max_new_tokens=12;temperature=0.0;top_k=0;seed=0",
    )
    expected = built["gpt"].generate("ROMEO: ", max_new_tokens=12)
    assert repr(expected.encode()) in output

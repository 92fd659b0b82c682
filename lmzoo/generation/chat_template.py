"""Chat templates (Jinja, as Hugging Face and GGUF files ship them), in Python."""

import datetime
import json


def _environment():
    import jinja2
    import jinja2.ext
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(
        value, ensure_ascii=False, indent=None, separators=None, sort_keys=False
    ):
        return json.dumps(
            value,
            ensure_ascii=ensure_ascii,
            indent=indent,
            separators=separators,
            sort_keys=sort_keys,
        )

    environment = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols]
    )
    environment.filters["tojson"] = tojson
    environment.globals["raise_exception"] = raise_exception
    environment.globals["strftime_now"] = lambda format: (
        datetime.datetime.now().strftime(format)
    )
    return environment


def render_chat(template, messages, add_generation_prompt=True, **variables):
    """Renders a conversation with a model's chat template.

    The template runs in Jinja's immutable sandbox with the settings and
    helpers of `transformers`' `apply_chat_template` (`trim_blocks`,
    `lstrip_blocks`, `raise_exception`, `tojson`, `strftime_now`), so it
    gives the same text.

    Args:
        template: str, the Jinja template.
        messages: list of `{"role": ..., "content": ...}` dicts.
        add_generation_prompt: bool. End with the opening of the
            assistant's turn. Defaults to `True`.
        **variables: other template variables (`bos_token`, `eos_token`).

    Returns:
        str.

    Raises:
        ValueError: no template, or a message without a role or content.

    Example:
    >>> template = ("{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}"
    ...             "{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}")
    >>> render_chat(template, [{"role": "user", "content": "Hi"}])
    '<user>Hi<assistant>'
    """
    if not template:
        raise ValueError(
            "This model has no chat template: give one (chat_template=...) or "
            "use generate()."
        )
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not {"role", "content"} <= set(message):
            raise ValueError(
                f"Message {index} must be a dict with 'role' and 'content', got "
                f"{message!r}."
            )
    return (
        _environment()
        .from_string(template)
        .render(
            messages=list(messages),
            add_generation_prompt=add_generation_prompt,
            **variables,
        )
    )

"""One bounded chat request to an Ollama server, for the ``ollama`` NLU and LLM.

A call robot cannot wait on a model: every request has a deadline, and every way it
can fail (slow, down, an error status, a reply that is not Ollama's JSON) becomes an
:class:`OllamaFailure` with a short ``reason`` the caller logs beside its fallback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx
import ollama
import pydantic

from mbs.runtime.builtins.settings import get_float, get_str
from mbs.runtime.errors import VmError

DEFAULT_HOST = "http://127.0.0.1:11434"
DEFAULT_MODEL = "mistral:7b"


class OllamaFailure(VmError):
    """No usable reply: ``reason`` is timeout, down, error or garbage."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class OllamaChat:
    """Settings ``host``, ``model`` and ``timeout`` (seconds), read from a builtin config."""

    def __init__(self, config: Mapping[str, object], *, owner: str, default_timeout: float) -> None:
        self.host = get_str(config, "host", DEFAULT_HOST, owner=owner)
        self.model = get_str(config, "model", DEFAULT_MODEL, owner=owner)
        self.timeout = get_float(config, "timeout", default_timeout, owner=owner, minimum=0.01)
        self._client: ollama.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _client_for_this_loop(self) -> ollama.AsyncClient:
        # an httpx pool belongs to the event loop that opened it
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = ollama.AsyncClient(host=self.host, timeout=self.timeout + 1.0)
            self._loop = loop
        return self._client

    async def ask(
        self,
        messages: list[dict[str, str]],
        *,
        json_answer: bool = False,
        options: Mapping[str, Any] | None = None,
    ) -> str:
        """The assistant's reply text, or :class:`OllamaFailure`."""
        client = self._client_for_this_loop()
        try:
            response = await asyncio.wait_for(
                client.chat(
                    model=self.model,
                    messages=messages,
                    stream=False,
                    format="json" if json_answer else None,
                    options=dict(options or {}),
                ),
                self.timeout,
            )
        except TimeoutError:
            raise OllamaFailure("timeout", f"no answer within {self.timeout:g} s") from None
        except ConnectionError as exc:  # the client's own "failed to connect"
            raise OllamaFailure("down", str(exc)) from None
        except ollama.ResponseError as exc:
            raise OllamaFailure("error", str(exc)) from None
        except (ValueError, pydantic.ValidationError) as exc:  # not Ollama's JSON
            raise OllamaFailure("garbage", f"unreadable reply: {exc}") from None
        except httpx.TimeoutException:
            raise OllamaFailure("timeout", f"no answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise OllamaFailure("down", f"{type(exc).__name__}: {exc}") from None
        content = response.message.content
        return content if isinstance(content, str) else ""

    async def check(self) -> str | None:
        """None when the server answers and has the model; else what is wrong (for a
        pre-flight warning: the builtin still works, on its fallback)."""
        client = self._client_for_this_loop()
        try:
            listing = await asyncio.wait_for(client.list(), self.timeout)
        except TimeoutError:
            return f"the Ollama server at {self.host} did not answer within {self.timeout:g} s"
        except (ConnectionError, httpx.HTTPError):
            return f"no Ollama server at {self.host}"
        except (ollama.ResponseError, ValueError, pydantic.ValidationError) as exc:
            return f"the Ollama server at {self.host} answered oddly: {exc}"
        names = {m.model for m in listing.models if m.model}
        wanted = {self.model, f"{self.model}:latest"} if ":" not in self.model else {self.model}
        if not names & wanted:
            return f"the Ollama server at {self.host} has no model {self.model!r} (ollama pull {self.model})"
        return None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

"""``EslConnection``: the sans-I/O ESL state machine, for either end of the socket.

Bytes in through ``receive_data``, typed messages out of ``next_event`` (or
``NEED_DATA``), typed messages in through ``send`` and bytes out. No sockets, no
asyncio: the client (``mbs.freeswitch.client``) and the simulator move the bytes.

The connection keeps the FIFO of commands still waiting for their reply (ESL answers
every command exactly once, in order), which gives the authentication state and
catches replies nobody asked for.
"""

from __future__ import annotations

from collections import deque
from enum import Enum
from typing import Literal

from mbs.freeswitch.esl import events as ev
from mbs.freeswitch.esl.buffer import ReceiveBuffer
from mbs.freeswitch.esl.errors import LocalProtocolError, RemoteProtocolError
from mbs.freeswitch.esl.readers import read_client_command, read_server_message
from mbs.freeswitch.esl.writers import write_client_command, write_server_message

DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024  # FreeSWITCH master's own Content-Length cap


class Role(Enum):
    CLIENT = "client"  # connects to FreeSWITCH (inbound) or serves its `socket` app (outbound)
    SERVER = "server"  # plays FreeSWITCH: the simulator and test servers


class Sentinel(Enum):
    NEED_DATA = "NEED_DATA"


NEED_DATA = Sentinel.NEED_DATA
NeedData = Literal[Sentinel.NEED_DATA]


class AuthState(Enum):
    NONE = "none"  # nothing decided yet
    PENDING = "pending"  # auth sent, reply not yet seen
    ACCEPTED = "accepted"
    REJECTED = "rejected"


_REPLIES = (ev.CommandReply, ev.ApiResponse, ev.ConnectReply)


class EslConnection:
    def __init__(self, role: Role, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        if max_message_size < 64:
            raise LocalProtocolError("max_message_size is too small to hold any ESL message")
        self.role = role
        self.max_message_size = max_message_size
        self._buffer = ReceiveBuffer(max_message_size)
        self._pending: deque[ev.ClientCommand] = deque()
        self._auth = AuthState.NONE
        self._eof = False
        self._closed_reported = False
        self._error: RemoteProtocolError | None = None
        self._we_closed = False  # we sent exit (client) or a final notice (server)
        self._they_closed = False  # they sent exit (to a server) or a final notice

    # ---------------------------------------------------------------- state

    @property
    def auth_state(self) -> AuthState:
        return self._auth

    @property
    def pending_commands(self) -> tuple[ev.ClientCommand, ...]:
        """Commands sent (client) or received (server) whose reply has not gone by."""
        return tuple(self._pending)

    @property
    def we_closed(self) -> bool:
        return self._we_closed

    @property
    def they_closed(self) -> bool:
        return self._they_closed

    @property
    def buffered(self) -> int:
        """Received bytes not yet turned into messages."""
        return len(self._buffer)

    # ---------------------------------------------------------------- input

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the socket; ``b""`` means the peer closed it."""
        if self._eof:
            raise LocalProtocolError("receive_data after end of stream")
        if data:
            self._buffer.feed(data)
        else:
            self._eof = True

    def next_event(self) -> ev.EslEvent | NeedData:
        """The next complete message, ``NEED_DATA``, or ``ConnectionClosed`` at the end."""
        if self._error is not None:
            raise self._error
        try:
            frame = self._buffer.extract_frame()
            if frame is None:
                if not self._eof:
                    return NEED_DATA
                if self._buffer.in_message:
                    raise RemoteProtocolError("connection closed in the middle of a message")
                if self._closed_reported:
                    raise LocalProtocolError("next_event after ConnectionClosed")
                self._closed_reported = True
                return ev.ConnectionClosed()
            if self.role is Role.CLIENT:
                message: ev.EslEvent = read_server_message(frame)
                self._client_received(message)
            else:
                message = read_client_command(frame)
                self._server_received(message)
            return message
        except RemoteProtocolError as exc:
            self._error = exc
            raise

    def _client_received(self, message: ev.EslEvent) -> None:
        if isinstance(message, _REPLIES):
            if not self._pending:
                raise RemoteProtocolError(f"unsolicited {type(message).__name__}")
            command = self._pending.popleft()
            if isinstance(command, ev.Auth) and isinstance(message, ev.CommandReply):
                self._auth = AuthState.ACCEPTED if message.ok else AuthState.REJECTED
        elif isinstance(message, ev.RudeRejection) or (
            isinstance(message, ev.DisconnectNotice) and not message.linger
        ):
            self._they_closed = True

    def _server_received(self, message: ev.EslEvent) -> None:
        assert isinstance(message, ev.ClientCommand)
        self._pending.append(message)
        if isinstance(message, ev.Auth) and self._auth is AuthState.NONE:
            self._auth = AuthState.PENDING
        if isinstance(message, ev.Exit):
            self._they_closed = True

    # ---------------------------------------------------------------- output

    def send(self, event: ev.EslEvent) -> bytes:
        """The bytes for ``event``; raises ``LocalProtocolError`` on misuse."""
        if self._we_closed:
            raise LocalProtocolError("send after this side closed the session")
        if self.role is Role.CLIENT:
            if not isinstance(event, ev.ClientCommand):
                raise LocalProtocolError(f"a client cannot send {type(event).__name__}")
            if isinstance(event, ev.Auth):
                if self._auth is AuthState.ACCEPTED:
                    raise LocalProtocolError("already authenticated")
                self._auth = AuthState.PENDING
            data = write_client_command(event)
            self._pending.append(event)
            if isinstance(event, ev.Exit):
                self._we_closed = True
            return data
        if not isinstance(event, ev.ServerMessage):
            raise LocalProtocolError(f"a server cannot send {type(event).__name__}")
        data = write_server_message(event)
        if isinstance(event, _REPLIES):
            if not self._pending:
                raise LocalProtocolError(f"{type(event).__name__} with no command to answer")
            command = self._pending[0]
            if isinstance(event, ev.ConnectReply) and not isinstance(command, ev.Connect):
                raise LocalProtocolError("ConnectReply answers only `connect`")
            self._pending.popleft()
            if isinstance(command, ev.Auth) and isinstance(event, ev.CommandReply):
                self._auth = AuthState.ACCEPTED if event.ok else AuthState.REJECTED
        elif isinstance(event, ev.RudeRejection) or (
            isinstance(event, ev.DisconnectNotice) and not event.linger
        ):
            self._we_closed = True
        return data

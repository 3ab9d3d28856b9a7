"""OpenBCI Cyton (and Daisy) channel settings: the ``x...X`` command strings.

The Cyton SDK sets a channel with nine characters ``x C P G I B S2 S1 X``:
channel (``1``-``8``, Daisy ``Q W E R T Y U I``), power down (``0`` on, ``1``
off), gain code (``0``-``6`` for x1, x2, x4, x6, x8, x12, x24), input type
(``0``-``7``), bias (``1`` include), SRB2 (``1`` connect) and SRB1 (``1``
connect all channels to SRB1).  BrainFlow passes them to the board with
``config_board`` and tracks the gain of each channel, so the microvolts it
delivers stay right after a gain change (its OpenBCI gain tracker).

For bipolar surface EMG each channel's ``N`` input is the second electrode, so
SRB2 is off (``0``); for referential montages (all channels against SRB) SRB2
is on, as in the Cyton's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ValidationError
from ..hardware import ADS1299_VREF_V  # noqa: F401 - kept importable from here
from ..hardware import CYTON_DEFAULT_GAIN, CYTON_GAINS, cyton_rail_v

__all__ = ["CytonChannel", "cyton_channel_command", "parse_cyton_command", "GAINS",
           "INPUT_TYPES", "CHANNEL_LETTERS", "rail_uv"]

GAINS: tuple[int, ...] = CYTON_GAINS
"""PGA gains of the Cyton's ADS1299, in code order (``G`` = 0-6);
:data:`emgcontrol.hardware.CYTON_GAINS`."""

INPUT_TYPES: tuple[str, ...] = ("normal", "shorted", "bias_meas", "mvdd", "temp", "testsig",
                                "bias_drp", "bias_drn")
"""Input types in code order (``I`` = 0-7)."""

CHANNEL_LETTERS: str = "12345678QWERTYUI"
"""Channel characters 1-16 (Daisy channels 9-16 are ``Q``-``I``)."""


def rail_uv(gain: int) -> float:
    """Input range (rail) in microvolts at a PGA gain: 4.5 V / gain.

    The microvolt form of :func:`emgcontrol.hardware.cyton_rail_v`, for the live
    channel monitor, which works in BrainFlow's microvolts.
    """
    return cyton_rail_v(gain) * 1e6


@dataclass(frozen=True)
class CytonChannel:
    """Settings of one Cyton channel.

    Attributes
    ----------
    channel : int
        1-8 (Cyton) or 9-16 (Daisy).
    power_down : bool
        Switch the channel off.
    gain : int
        PGA gain: 1, 2, 4, 6, 8, 12 or 24 (default 24).  Lower gains widen the
        input range (+/- 4.5 V / gain: 187.5 mV at 24) for large EMG with DC
        offsets; the LSB grows with it.
    input_type : str
        One of :data:`INPUT_TYPES` (default ``"normal"``).
    bias : bool
        Include in the bias (driven ground) derivation (default True).
    srb2 : bool
        Connect the N input to SRB2 (referential montage).  Default False:
        bipolar EMG uses each channel's N input for the second electrode.
    srb1 : bool
        Connect all N inputs to SRB1 (default False).
    """

    channel: int
    power_down: bool = False
    gain: int = CYTON_DEFAULT_GAIN
    input_type: str = "normal"
    bias: bool = True
    srb2: bool = False
    srb1: bool = False

    def command(self) -> str:
        """The ``x...X`` command string."""
        return cyton_channel_command(self.channel, power_down=self.power_down,
                                     gain=self.gain, input_type=self.input_type,
                                     bias=self.bias, srb2=self.srb2, srb1=self.srb1)

    @property
    def rail_uv(self) -> float:
        """Input range of this channel in microvolts."""
        return rail_uv(self.gain)


def cyton_channel_command(channel: int, *, power_down: bool = False,
                          gain: int = CYTON_DEFAULT_GAIN, input_type: str = "normal",
                          bias: bool = True, srb2: bool = False, srb1: bool = False) -> str:
    """Build the Cyton command that sets one channel (e.g. ``"x1060100X"``).

    Parameters
    ----------
    channel : int
        1-16 (9-16 on the Daisy).
    power_down, gain, input_type, bias, srb2, srb1 :
        See :class:`CytonChannel`.

    Returns
    -------
    str
        Nine characters ``x C P G I B S2 S1 X``.

    Examples
    --------
    >>> cyton_channel_command(1, gain=24, srb2=True)
    'x1060110X'
    >>> cyton_channel_command(9, gain=8)
    'xQ040100X'
    """
    if isinstance(channel, bool) or not isinstance(channel, int) or not 1 <= channel <= 16:
        raise ValidationError(f"channel must be an integer from 1 to 16; got {channel!r}")
    if gain not in GAINS:
        raise ValidationError(f"gain must be one of {', '.join(map(str, GAINS))}; got {gain!r}")
    if input_type not in INPUT_TYPES:
        raise ValidationError(
            f"input_type must be one of {', '.join(map(repr, INPUT_TYPES))}; got {input_type!r}")
    flags = []
    for name, v in (("power_down", power_down), ("bias", bias), ("srb2", srb2), ("srb1", srb1)):
        if not isinstance(v, bool):
            raise ValidationError(f"{name} must be True or False; got {v!r}")
        flags.append("1" if v else "0")
    return (f"x{CHANNEL_LETTERS[channel - 1]}{flags[0]}{GAINS.index(gain)}"
            f"{INPUT_TYPES.index(input_type)}{flags[1]}{flags[2]}{flags[3]}X")


def parse_cyton_command(command: str) -> list[CytonChannel]:
    """Parse one or more concatenated ``x...X`` channel commands.

    Raises
    ------
    ValidationError
        A malformed command; the message names its position and the bad field.
    """
    if not isinstance(command, str) or not command:
        raise ValidationError(f"a Cyton channel command must be a non-empty str; got {command!r}")
    out = []
    i = 0
    while i < len(command):
        part = command[i:i + 9]
        where = f"command {command!r}, characters {i + 1}-{i + 9}"
        if len(part) != 9 or part[0] != "x" or part[8] != "X":
            raise ValidationError(
                f"{where}: a channel command is 9 characters 'x C P G I B S2 S1 X' "
                f"(e.g. 'x1060110X'); got {part!r}")
        ch, p, g, it, b, s2, s1 = part[1:8]
        if ch not in CHANNEL_LETTERS:
            raise ValidationError(f"{where}: channel must be one of {CHANNEL_LETTERS!r}; "
                                  f"got {ch!r}")
        if g not in "0123456":
            raise ValidationError(f"{where}: gain code must be 0-6; got {g!r}")
        if it not in "01234567":
            raise ValidationError(f"{where}: input type code must be 0-7; got {it!r}")
        for name, v in (("power down", p), ("bias", b), ("SRB2", s2), ("SRB1", s1)):
            if v not in "01":
                raise ValidationError(f"{where}: {name} must be 0 or 1; got {v!r}")
        out.append(CytonChannel(CHANNEL_LETTERS.index(ch) + 1, p == "1", GAINS[int(g)],
                                INPUT_TYPES[int(it)], b == "1", s2 == "1", s1 == "1"))
        i += 9
    return out


def channel_settings(spec: Any, n_channels: int) -> list[CytonChannel]:
    """Normalise channel settings given as commands, CytonChannel objects or a mapping.

    Parameters
    ----------
    spec : str, CytonChannel, sequence or mapping
        ``"x1060110X..."`` strings, :class:`CytonChannel` objects, or
        ``{channel: {"gain": 8, ...}}`` / ``{"all": {...}}``.
    n_channels : int
        Channels of the board (8 or 16).
    """
    items: list[CytonChannel] = []
    if isinstance(spec, (str, CytonChannel)):
        spec = [spec]
    if isinstance(spec, Mapping):
        for key, kw in spec.items():
            if not isinstance(kw, Mapping):
                raise ValidationError(
                    f"channel_settings[{key!r}] must be a mapping of settings (gain, "
                    f"input_type, power_down, bias, srb2, srb1); got {kw!r}")
            chans = range(1, n_channels + 1) if key == "all" else [key]
            for c in chans:
                try:
                    items.append(CytonChannel(int(c), **dict(kw)))
                except TypeError as err:
                    raise ValidationError(f"channel_settings[{key!r}]: {err}") from None
    elif isinstance(spec, Sequence):
        for s in spec:
            if isinstance(s, str):
                items.extend(parse_cyton_command(s))
            elif isinstance(s, CytonChannel):
                items.append(s)
            else:
                raise ValidationError(
                    "channel_settings entries must be 'x...X' command strings or "
                    f"CytonChannel objects; got {s!r}")
    else:
        raise ValidationError(
            "channel_settings must be command strings, CytonChannel objects or a mapping "
            f"channel -> settings; got {spec!r}")
    for it in items:
        it.command()  # validates the values
        if it.channel > n_channels:
            raise ValidationError(
                f"channel_settings: channel {it.channel} does not exist on a board with "
                f"{n_channels} channels")
    return items

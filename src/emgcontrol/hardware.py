"""Board constants: the OpenBCI Cyton's input range and LSB in volts, and the
sample-counter convention of each OpenBCI / BrainFlow board.

The Cyton (and its Daisy) digitise each channel with a Texas Instruments
ADS1299: a 24-bit converter with a 4.5 V reference behind a programmable gain
amplifier (PGA).  At gain ``g`` the input range is +/- 4.5 V / g and one code
step (LSB) is that range over ``2**23 - 1`` codes.  At the default gain 24 the
range is +/- 187.5 mV (the "rail") and the LSB about 0.0224 uV.

Every module that needs these numbers takes them from here, in volts; the few
that work in microvolts (quality checks, the live channel monitor) multiply by
``1e6`` at their border.

Each board numbers its samples with a wrapping counter (BrainFlow's package
number, the first column of an OpenBCI GUI file); :func:`counter_spec` says how
it advances, so that readers and the live monitor count lost samples the same way.

Nothing here imports numpy or a board library.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ADS1299_VREF_V", "ADC_MAX_CODE", "CYTON_GAINS", "CYTON_DEFAULT_GAIN",
           "CYTON_RAIL_V", "CYTON_RAIL_UV", "CYTON_LSB_V", "cyton_rail_v", "cyton_lsb_v",
           "CounterSpec", "counter_spec"]

ADS1299_VREF_V: float = 4.5
"""Reference voltage of the ADS1299, V: the input range is +/- 4.5 V / gain."""

ADC_MAX_CODE: int = 2**23 - 1
"""Largest positive code of the 24-bit two's-complement converter (the most
negative is ``-(ADC_MAX_CODE + 1)``)."""

CYTON_GAINS: tuple[int, ...] = (1, 2, 4, 6, 8, 12, 24)
"""PGA gains of the ADS1299, in the order of the Cyton's channel-setting digit."""

CYTON_DEFAULT_GAIN: int = 24
"""Gain the Cyton starts with (and the one BrainFlow's microvolt scaling assumes)."""


def cyton_rail_v(gain: float = CYTON_DEFAULT_GAIN) -> float:
    """Input range (rail) of a Cyton channel at a PGA gain, V: ``4.5 V / gain``.

    Parameters
    ----------
    gain : float
        PGA gain (1, 2, 4, 6, 8, 12 or 24 on the board; not checked here).

    Returns
    -------
    float
        The rail in volts: the input range is +/- this value.
    """
    return ADS1299_VREF_V / float(gain)


def cyton_lsb_v(gain: float = CYTON_DEFAULT_GAIN) -> float:
    """Voltage of one code step of a Cyton channel at a PGA gain, V."""
    return cyton_rail_v(gain) / ADC_MAX_CODE


CYTON_RAIL_V: float = cyton_rail_v(CYTON_DEFAULT_GAIN)
"""Rail of the Cyton at gain 24, V: 4.5 V / 24 = 0.1875 V (+/- 187.5 mV).  No surface
EMG comes near it (sEMG stays below ~5 mV): a sample at or near it is a saturated input."""

CYTON_RAIL_UV: float = CYTON_RAIL_V * 1e6
"""The same rail in microvolts (187,500 uV), for code that works in BrainFlow's unit."""

CYTON_LSB_V: float = cyton_lsb_v(CYTON_DEFAULT_GAIN)
"""Voltage of one 24-bit code step at gain 24, V (about 0.0224 uV)."""


# ------------------------------------------------------------ sample counters
@dataclass(frozen=True)
class CounterSpec:
    """How a board's sample counter (BrainFlow package number) advances.

    Attributes
    ----------
    modulus : int or None
        Period of the counter (None: unknown, infer it from the data).
    step : int
        Increment per sample (2 for the Cyton+Daisy in BrainFlow, whose
        merged samples carry the even ids).
    ganglion_packets : bool
        BrainFlow Ganglion: ids 1-100 or 101-200, two samples per packet id,
        id 0 for the uncompressed first packet.
    """

    modulus: int | None
    step: int = 1
    ganglion_packets: bool = False


_COUNTERS: dict[int, CounterSpec] = {
    0: CounterSpec(256), 5: CounterSpec(256),             # Cyton (serial, wifi)
    2: CounterSpec(256, 2), 6: CounterSpec(256, 2),       # Cyton+Daisy: even ids
    1: CounterSpec(100, 1, True), 4: CounterSpec(100, 1, True),  # Ganglion
    -1: CounterSpec(256),                                  # synthetic board
}


def counter_spec(board_id: int) -> CounterSpec:
    """Sample-counter convention of a BrainFlow board.

    Parameters
    ----------
    board_id : int
        BrainFlow ``BoardIds`` value (0 Cyton, 1 Ganglion, 2 Cyton+Daisy, 4-6
        their WiFi versions, -1 synthetic).

    Returns
    -------
    CounterSpec
        The board's convention; for a board not listed, ``CounterSpec(None)``
        (a counter of step 1 whose period is inferred from the data).
    """
    return _COUNTERS.get(int(board_id), CounterSpec(None))

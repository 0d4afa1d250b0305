"""Audio helpers shared by the call runtime and the simulator: 16-bit mono PCM, WAV
files, resampling. A leaf: it imports nothing from mbs."""

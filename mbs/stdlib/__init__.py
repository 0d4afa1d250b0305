"""The standard library of the ``.mbs`` language, shipped as source files.

A dotted module name maps onto a file under this package: ``use intents.common`` loads
``intents/common.mbs`` and ``theme finance`` pulls ``objections/standard.mbs`` plus
``objections/finance.mbs``. The loader (``mbs.dsl.loader``) resolves those names;
``README.md`` next to this file says what each module holds.
"""

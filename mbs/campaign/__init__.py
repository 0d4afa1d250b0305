"""Campaigns: the campaign file, contacts, the calling law, the store, the executor.

The composition root (:mod:`mbs.campaign.compose`) wires a campaign file to the call
runtime (``mbs.runtime``) and to a telephony backend (``mbs.freeswitch``); nothing below
``mbs.campaign`` in the import table reaches back up into it.
"""

"""FreeSWITCH integration: the sans-I/O ESL core (``esl``), the asyncio client
(``client``), the ``esl`` telephony backend (``backend``) and the simulator (``sim``)."""

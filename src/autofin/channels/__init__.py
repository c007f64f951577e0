"""Bank channels (银行渠道): two-phase payment instructions, the bank adapter protocol, a bank simulator.

See ``docs.md``. ``service.reserve_payment`` → ``service.send_payment`` → ``service.handle_callback``.
"""

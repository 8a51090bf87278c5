"""The case-management application (Django): every step of a person's case, with the engine built in.

The engine knows nothing of this package. Stored cases reach it through one adapter
(`rightsfirst.web.adapter`), and only its cited results come back.
"""

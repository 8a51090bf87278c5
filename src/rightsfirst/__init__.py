"""Rightsfirst: the rights of trafficked persons, applied."""

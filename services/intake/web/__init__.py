"""Citizen web pages: the complaint form and the tracking page (see ``endpoints``)."""

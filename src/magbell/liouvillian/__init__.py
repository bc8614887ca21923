"""The Liouvillian: vectorisation, |q| (excitation-number-difference) sectors for any N, kernel projector.
Private implementation modules; nothing is imported eagerly by this ``__init__``."""

"""Views of the interpretations' results: tables, trees, JSON, LaTeX, pictures and plots. They print nothing."""

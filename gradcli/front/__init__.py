"""The front: options -> a request, checked in one place -> the interpretations and views it asks for."""

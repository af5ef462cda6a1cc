"""Studies: run the model and the maths for a question (compare, sweep, lessons, ...) and return data; nothing here renders."""

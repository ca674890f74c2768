"""Title ranking as the fork's ``BookService.fuzzySearch`` does it: Apache Commons
Text ``FuzzyScore`` normalised by the larger of the two strings' self-scores, so
an exact (case-insensitive) title match scores 1.0."""


def fuzzy_score(term, query):
    """Port of ``FuzzyScore.fuzzyScore``: each query character is looked for in the
    term after the previous match; 1 point per match, 2 more when it directly
    follows the previous match. A character not found exhausts the term."""
    term, query = term.lower(), query.lower()
    score = 0
    term_index = 0
    previous_match = None
    for query_char in query:
        while term_index < len(term):
            term_char = term[term_index]
            term_index += 1
            if term_char == query_char:
                score += 1
                if previous_match is not None and previous_match + 1 == term_index - 1:
                    score += 2
                previous_match = term_index - 1
                break
    return score


def match_score(title, query):
    """``fuzzyScore(title, query) / max(self-score(title), self-score(query))``."""
    best = max(fuzzy_score(title, title), fuzzy_score(query, query))
    return fuzzy_score(title, query) / best if best else 0.0

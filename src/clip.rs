//! Texts cut to a size: what the request journal, the contract violations and the dashboard
//! keep of what clients send. A client decides how long a path, a header or a field name is;
//! whatever keeps it for later keeps at most a bounded prefix of it.

/// `text` when it is at most `limit` bytes, else its first `limit` bytes or fewer (a whole
/// character), saying how many characters were left out. A new string: a truncated one would
/// keep the whole allocation.
pub fn clipped(text: String, limit: usize) -> String {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let more = text[end..].chars().count();
    format!("{}… ({more} more characters)", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_keep_a_prefix_of_whole_characters_and_say_what_was_left_out() {
        assert_eq!(clipped("short".to_owned(), 10), "short");
        assert_eq!(clipped("abcdef".to_owned(), 3), "abc… (3 more characters)");
        // "é" is two bytes: the cut never splits it.
        assert_eq!(clipped("aéé".to_owned(), 2), "a… (2 more characters)");
        // What is kept is all that stays allocated.
        assert!(clipped("x".repeat(1 << 20), 10).capacity() < 100);
    }
}

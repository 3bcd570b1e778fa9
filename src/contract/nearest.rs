//! "Did you mean ...?": the closest of a set of names or routes to what a client sent.

/// Levenshtein distance, by characters.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// No suggestion for a name or path longer than this. Nobody mistypes a name this long, and the
/// distance costs the product of the two lengths for each candidate: a request of megabyte-long
/// unknown field names would otherwise cost seconds of CPU.
const LONGEST_TYPO: usize = 256;

/// Whether `distance` is small enough, for a name `len` characters long, to be a typo.
fn close(distance: usize, len: usize) -> bool {
    distance <= (len / 3).max(2)
}

/// The closest of `names` to `name`, when it is close enough to be what was meant.
pub fn name<'n>(name: &str, names: impl IntoIterator<Item = &'n str>) -> Option<&'n str> {
    if name.len() > LONGEST_TYPO {
        return None;
    }
    names
        .into_iter()
        .map(|candidate| (distance(name, candidate), candidate))
        .filter(|(d, _)| close(*d, name.len()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, candidate)| candidate)
}

/// How far a concrete path is from a route template: segment by segment when they have as
/// many (a `{parameter}` matches any segment), else character by character.
pub fn path_distance(path: &str, template: &str) -> usize {
    let have: Vec<&str> = path.split('/').collect();
    let want: Vec<&str> = template.split('/').collect();
    if have.len() == want.len() {
        return have
            .iter()
            .zip(&want)
            .map(|(h, w)| {
                if w.starts_with('{') && !h.is_empty() {
                    0
                } else {
                    distance(h, w)
                }
            })
            .sum();
    }
    distance(path, template)
}

/// The closest route (`(method, template)`) to a request, when it is close enough.
pub fn route<'r>(
    method: &str,
    path: &str,
    routes: impl IntoIterator<Item = (&'r str, &'r str)>,
) -> Option<(&'r str, &'r str)> {
    if path.len() > LONGEST_TYPO {
        return None;
    }
    routes
        .into_iter()
        .map(|(m, t)| {
            let d = path_distance(path, t) + if m.eq_ignore_ascii_case(method) { 0 } else { 2 };
            (d, (m, t))
        })
        .filter(|(d, _)| close(*d, path.len()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, route)| route)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_the_route_that_was_meant() {
        let routes = [
            ("GET", "/v1/beliefs"),
            ("POST", "/v1/beliefs"),
            ("GET", "/v1/beliefs/{belief_id}"),
            ("GET", "/v1/stats"),
        ];
        assert_eq!(
            route("POST", "/v1/belief", routes),
            Some(("POST", "/v1/beliefs"))
        );
        assert_eq!(
            route("GET", "/v1/belief/abc", routes),
            Some(("GET", "/v1/beliefs/{belief_id}"))
        );
        assert_eq!(route("GET", "/v1/completely/else", routes), None);
        assert_eq!(
            name("sujbect_id", ["subject_id", "key"]),
            Some("subject_id")
        );
        assert_eq!(name("colour", ["subject_id", "key"]), None);
    }

    #[test]
    fn names_and_paths_too_long_to_be_typos_get_no_suggestion() {
        let long = "k".repeat(LONGEST_TYPO + 1);
        let almost = &long[1..];
        assert_eq!(name(&long, [almost]), None);
        let path = format!("/{long}");
        assert_eq!(route("GET", &path, [("GET", path[1..].as_ref())]), None);
    }
}

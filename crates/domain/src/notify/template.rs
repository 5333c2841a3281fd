//! The template language of messages: text with `{{ name }}` placeholders and nothing else —
//! no code, no loops, no access to anything but the variables handed in, so an administrator
//! editing a template cannot break out of it. Rendering fails on a variable that was not
//! given (a message never goes out with a hole in it). In HTML bodies values are escaped.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("`{{{{` at character {0} is not closed by `}}}}`")]
    Unclosed(usize),
    #[error("`{0}` is not a variable name (a-z, 0-9, `_` and `.`, starting with a letter)")]
    BadName(String),
    #[error("no value for the variable `{0}`")]
    Missing(String),
}

/// How values are written into the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Plain text (subjects, text bodies, SMS).
    None,
    /// HTML: `& < > " '` become entities.
    Html,
}

#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

fn parse(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut rest = template;
    let mut offset = 0;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            pieces.push(Piece::Text(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .ok_or_else(|| TemplateError::Unclosed(template[..offset + open].chars().count()))?;
        let name = after[..close].trim();
        if !valid_name(name) {
            return Err(TemplateError::BadName(name.chars().take(40).collect()));
        }
        pieces.push(Piece::Var(name));
        let consumed = open + 2 + close + 2;
        offset += consumed;
        rest = &rest[consumed..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// The variables a template uses, sorted and without repeats; errors on bad syntax.
pub fn variables(template: &str) -> Result<Vec<String>, TemplateError> {
    let mut names: Vec<String> = parse(template)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Var(n) => Some(n.to_string()),
            Piece::Text(_) => None,
        })
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// Fills in the placeholders.
pub fn render(
    template: &str,
    vars: &BTreeMap<String, String>,
    escape: Escape,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 64);
    for piece in parse(template)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(name) => {
                let value = vars
                    .get(name)
                    .ok_or_else(|| TemplateError::Missing(name.to_string()))?;
                match escape {
                    Escape::None => out.push_str(value),
                    Escape::Html => escape_html(value, &mut out),
                }
            }
        }
    }
    Ok(out)
}

fn escape_html(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn fills_placeholders() {
        let v = vars(&[("name", "张伟"), ("booking.no", "SH-20260301-0001")]);
        assert_eq!(
            render(
                "{{name}}您好，订单 {{ booking.no }} 已确认。",
                &v,
                Escape::None
            )
            .unwrap(),
            "张伟您好，订单 SH-20260301-0001 已确认。"
        );
        assert_eq!(
            render("no placeholders", &v, Escape::None).unwrap(),
            "no placeholders"
        );
    }

    #[test]
    fn html_values_are_escaped_but_the_template_is_not() {
        let v = vars(&[("name", "<script>alert('x')</script> & co")]);
        assert_eq!(
            render("<p>{{ name }}</p>", &v, Escape::Html).unwrap(),
            "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co</p>"
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let v = vars(&[]);
        assert_eq!(
            render("您好 {{ name }}", &v, Escape::None),
            Err(TemplateError::Missing("name".into()))
        );
        assert_eq!(
            render("您好 {{ name ", &v, Escape::None),
            Err(TemplateError::Unclosed(3))
        );
        assert!(matches!(
            render("{{ a + b }}", &v, Escape::None),
            Err(TemplateError::BadName(_))
        ));
        assert!(matches!(
            render("{{}}", &v, Escape::None),
            Err(TemplateError::BadName(_))
        ));
    }

    #[test]
    fn lists_variables() {
        assert_eq!(
            variables("{{ b }} {{a}} {{ b }}").unwrap(),
            vec!["a".to_string(), "b".to_string()]
        );
    }

    proptest::proptest! {
        #[test]
        fn text_without_braces_renders_as_itself(s in "[^{}]*") {
            proptest::prop_assert_eq!(render(&s, &BTreeMap::new(), Escape::None).unwrap(), s);
        }

        #[test]
        fn html_escaping_leaves_no_markup(v in ".*") {
            let out = render("{{ v }}", &vars(&[("v", &v)]), Escape::Html).unwrap();
            proptest::prop_assert!(!out.contains('<') && !out.contains('>') && !out.contains('"'));
        }
    }
}

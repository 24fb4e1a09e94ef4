//! US name frequencies (Census 1990, `assets/names/`), drawn by weight, with each name's search keys
//! computed once.

use super::rng::DemoRng;
use crate::domain::names::{name_key, phonetic_key};

const SURNAMES: &str = include_str!("../../assets/names/surnames.txt");
const FEMALE: &str = include_str!("../../assets/names/female_given.txt");
const MALE: &str = include_str!("../../assets/names/male_given.txt");

/// A name as a person writes it, with its keys.
pub struct DrawnName {
    pub written: String,
    pub key: String,
    pub phonetic: String,
}

pub struct WeightedNames {
    names: Vec<DrawnName>,
    cumulative: Vec<u64>,
}

impl WeightedNames {
    fn parse(text: &str) -> Self {
        let mut names = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0u64;
        for line in text.lines() {
            let mut parts = line.split_whitespace();
            let (Some(name), Some(weight)) = (parts.next(), parts.next()) else { continue };
            let Ok(weight) = weight.parse::<u64>() else { continue };
            let written = written_form(name);
            total += weight;
            names.push(DrawnName { key: name_key(&written), phonetic: phonetic_key(&written), written });
            cumulative.push(total);
        }
        Self { names, cumulative }
    }

    pub fn draw(&self, rng: &mut DemoRng) -> &DrawnName {
        let total = self.cumulative.last().copied().unwrap_or(1);
        let target = rng.below(total);
        let index = self.cumulative.partition_point(|&c| c <= target);
        &self.names[index.min(self.names.len() - 1)]
    }
}

pub struct NameTables {
    pub surnames: WeightedNames,
    pub female: WeightedNames,
    pub male: WeightedNames,
}

impl NameTables {
    /// The tables, parsed once per process (94,000 names with their keys).
    pub fn shared() -> &'static Self {
        static TABLES: std::sync::OnceLock<NameTables> = std::sync::OnceLock::new();
        TABLES.get_or_init(Self::load)
    }

    fn load() -> Self {
        Self {
            surnames: WeightedNames::parse(SURNAMES),
            female: WeightedNames::parse(FEMALE),
            male: WeightedNames::parse(MALE),
        }
    }
}

/// How people write the census's upper-case names: `SMITH` → `Smith`, `OBRIEN` → `O'Brien`,
/// `MCDONALD` → `McDonald`, and a few with the diacritics their owners use.
fn written_form(upper: &str) -> String {
    match upper {
        "NGUYEN" => return "Nguyễn".into(),
        "PENA" => return "Peña".into(),
        "MULLER" => return "Müller".into(),
        "IBANEZ" => return "Ibáñez".into(),
        _ => {}
    }
    let title = |s: &str| {
        let mut chars = s.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect::<String>(),
            None => String::new(),
        }
    };
    if let Some(rest) = upper.strip_prefix('O').filter(|r| IRISH_O.contains(r)) {
        return format!("O'{}", title(rest));
    }
    if let Some(rest) = upper.strip_prefix("MC").filter(|r| r.len() > 2) {
        return format!("Mc{}", title(rest));
    }
    title(upper)
}

/// Surnames the census writes as `OBRIEN`, `ONEIL`…: the part after the O'.
const IRISH_O: &[&str] = &[
    "BRIEN", "NEIL", "NEILL", "CONNOR", "CONNELL", "DONNELL", "REILLY", "HARA", "KEEFE", "LEARY", "MALLEY", "SULLIVAN",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_forms() {
        assert_eq!(written_form("SMITH"), "Smith");
        assert_eq!(written_form("OBRIEN"), "O'Brien");
        assert_eq!(written_form("MCDONALD"), "McDonald");
        assert_eq!(written_form("NGUYEN"), "Nguyễn");
        assert_eq!(written_form("OLSON"), "Olson");
    }

    #[test]
    fn smith_is_about_one_percent() {
        let tables = NameTables::shared();
        let mut rng = DemoRng::new(3);
        let draws = 200_000;
        let smiths = (0..draws).filter(|_| tables.surnames.draw(&mut rng).key == "SMITH").count();
        let share = smiths as f64 / draws as f64;
        assert!((0.008..0.013).contains(&share), "SMITH share {share}");
    }
}

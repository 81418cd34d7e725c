//! PeerTube's video enumerations: the ids stored in `videos` and the labels the API shows.
//! Values and labels are PeerTube 7's (`GET /api/v1/videos/{categories,licences,languages,privacies}`).

/// Video categories, ids 1–18.
pub const CATEGORIES: &[(i64, &str)] = &[
    (1, "Music"),
    (2, "Films"),
    (3, "Vehicles"),
    (4, "Art"),
    (5, "Sports"),
    (6, "Travels"),
    (7, "Gaming"),
    (8, "People"),
    (9, "Comedy"),
    (10, "Entertainment"),
    (11, "News & Politics"),
    (12, "How To"),
    (13, "Education"),
    (14, "Activism"),
    (15, "Science & Technology"),
    (16, "Animals"),
    (17, "Kids"),
    (18, "Food"),
];

/// Licences, ids 1–7.
pub const LICENCES: &[(i64, &str)] = &[
    (1, "Attribution"),
    (2, "Attribution - Share Alike"),
    (3, "Attribution - No Derivatives"),
    (4, "Attribution - Non Commercial"),
    (5, "Attribution - Non Commercial - Share Alike"),
    (6, "Attribution - Non Commercial - No Derivatives"),
    (7, "Public Domain Dedication"),
];

/// Privacies, ids 1–5.
pub const PRIVACIES: &[(i64, &str)] =
    &[(1, "Public"), (2, "Unlisted"), (3, "Private"), (4, "Internal"), (5, "Password protected")];

/// Video states (`VideoState`), ids 1–11.
pub const STATES: &[(i64, &str)] = &[
    (1, "Published"),
    (2, "To transcode"),
    (3, "To import"),
    (4, "Waiting for livestream"),
    (5, "Livestream ended"),
    (6, "To move to an external storage"),
    (7, "Transcoding failed"),
    (8, "External storage move failed"),
    (9, "To edit*"),
    (10, "To move to file system"),
    (11, "Move to file system failed"),
];

/// Comment policies, ids 1–3.
pub const COMMENTS_POLICIES: &[(i64, &str)] = &[(1, "Enabled"), (2, "Disabled"), (3, "Requires approval")];

/// ISO 639 languages as PeerTube lists them: keyed by ISO 639-1 code where one exists,
/// ISO 639-3 otherwise, in ISO 639-3 order; then the Chinese scripts PeerTube adds.
pub const LANGUAGES: &[(&str, &str)] = &[
    ("aa", "Afar"),
    ("ab", "Abkhazian"),
    ("af", "Afrikaans"),
    ("ak", "Akan"),
    ("am", "Amharic"),
    ("ar", "Arabic"),
    ("an", "Aragonese"),
    ("ase", "American Sign Language"),
    ("as", "Assamese"),
    ("av", "Avaric"),
    ("avk", "Kotava"),
    ("ay", "Aymara"),
    ("az", "Azerbaijani"),
    ("ba", "Bashkir"),
    ("bm", "Bambara"),
    ("be", "Belarusian"),
    ("bn", "Bengali"),
    ("bfi", "British Sign Language"),
    ("bi", "Bislama"),
    ("bo", "Tibetan"),
    ("bs", "Bosnian"),
    ("br", "Breton"),
    ("bg", "Bulgarian"),
    ("bzs", "Brazilian Sign Language"),
    ("ca", "Catalan"),
    ("cs", "Czech"),
    ("ch", "Chamorro"),
    ("ce", "Chechen"),
    ("cv", "Chuvash"),
    ("kw", "Cornish"),
    ("co", "Corsican"),
    ("cr", "Cree"),
    ("cse", "Czech Sign Language"),
    ("csl", "Chinese Sign Language"),
    ("cy", "Welsh"),
    ("da", "Danish"),
    ("de", "German"),
    ("dv", "Dhivehi"),
    ("dsl", "Danish Sign Language"),
    ("dz", "Dzongkha"),
    ("el", "Greek"),
    ("en", "English"),
    ("eo", "Esperanto"),
    ("et", "Estonian"),
    ("eu", "Basque"),
    ("ee", "Ewe"),
    ("fo", "Faroese"),
    ("fa", "Persian"),
    ("fj", "Fijian"),
    ("fi", "Finnish"),
    ("fr", "French"),
    ("fy", "Western Frisian"),
    ("fsl", "French Sign Language"),
    ("ff", "Fulah"),
    ("gd", "Scottish Gaelic"),
    ("ga", "Irish"),
    ("gl", "Galician"),
    ("gv", "Manx"),
    ("gn", "Guarani"),
    ("gsg", "German Sign Language"),
    ("gu", "Gujarati"),
    ("ht", "Haitian"),
    ("ha", "Hausa"),
    ("sh", "Serbo-Croatian"),
    ("he", "Hebrew"),
    ("hz", "Herero"),
    ("hi", "Hindi"),
    ("ho", "Hiri Motu"),
    ("hr", "Croatian"),
    ("hu", "Hungarian"),
    ("hy", "Armenian"),
    ("ig", "Igbo"),
    ("ii", "Sichuan Yi"),
    ("iu", "Inuktitut"),
    ("id", "Indonesian"),
    ("ik", "Inupiaq"),
    ("is", "Icelandic"),
    ("it", "Italian"),
    ("jv", "Javanese"),
    ("jbo", "Lojban"),
    ("ja", "Japanese"),
    ("jsl", "Japanese Sign Language"),
    ("kab", "Kabyle"),
    ("kl", "Kalaallisut"),
    ("kn", "Kannada"),
    ("ks", "Kashmiri"),
    ("ka", "Georgian"),
    ("kr", "Kanuri"),
    ("kk", "Kazakh"),
    ("km", "Central Khmer"),
    ("ki", "Kikuyu"),
    ("rw", "Kinyarwanda"),
    ("ky", "Kirghiz"),
    ("kv", "Komi"),
    ("kg", "Kongo"),
    ("ko", "Korean"),
    ("kj", "Kuanyama"),
    ("ku", "Kurdish"),
    ("lo", "Lao"),
    ("la", "Latin"),
    ("lv", "Latvian"),
    ("li", "Limburgan"),
    ("ln", "Lingala"),
    ("lt", "Lithuanian"),
    ("lb", "Luxembourgish"),
    ("lu", "Luba-Katanga"),
    ("lg", "Ganda"),
    ("mh", "Marshallese"),
    ("ml", "Malayalam"),
    ("mr", "Marathi"),
    ("mk", "Macedonian"),
    ("mg", "Malagasy"),
    ("mt", "Maltese"),
    ("mn", "Mongolian"),
    ("mi", "Maori"),
    ("ms", "Malay (macrolanguage)"),
    ("my", "Burmese"),
    ("na", "Nauru"),
    ("nv", "Navajo"),
    ("nr", "South Ndebele"),
    ("nd", "North Ndebele"),
    ("ng", "Ndonga"),
    ("ne", "Nepali (macrolanguage)"),
    ("nl", "Dutch"),
    ("nn", "Norwegian Nynorsk"),
    ("nb", "Norwegian Bokmål"),
    ("no", "Norwegian"),
    ("ny", "Nyanja"),
    ("oc", "Occitan"),
    ("oj", "Ojibwa"),
    ("or", "Oriya (macrolanguage)"),
    ("om", "Oromo"),
    ("os", "Ossetian"),
    ("pa", "Panjabi"),
    ("pks", "Pakistan Sign Language"),
    ("pl", "Polish"),
    ("pt", "Portuguese"),
    ("ps", "Pushto"),
    ("qu", "Quechua"),
    ("rm", "Romansh"),
    ("ro", "Romanian"),
    ("rsl", "Russian Sign Language"),
    ("rn", "Rundi"),
    ("ru", "Russian"),
    ("sg", "Sango"),
    ("sdl", "Saudi Arabian Sign Language"),
    ("sfs", "South African Sign Language"),
    ("sgn", "Sign Languages"),
    ("si", "Sinhala"),
    ("sk", "Slovak"),
    ("sl", "Slovenian"),
    ("se", "Northern Sami"),
    ("sm", "Samoan"),
    ("sn", "Shona"),
    ("sd", "Sindhi"),
    ("so", "Somali"),
    ("st", "Southern Sotho"),
    ("es", "Spanish"),
    ("sq", "Albanian"),
    ("sc", "Sardinian"),
    ("sr", "Serbian"),
    ("ss", "Swati"),
    ("su", "Sundanese"),
    ("sw", "Swahili (macrolanguage)"),
    ("sv", "Swedish"),
    ("swl", "Swedish Sign Language"),
    ("ty", "Tahitian"),
    ("ta", "Tamil"),
    ("tt", "Tatar"),
    ("te", "Telugu"),
    ("tg", "Tajik"),
    ("tl", "Tagalog"),
    ("th", "Thai"),
    ("ti", "Tigrinya"),
    ("tlh", "Klingon"),
    ("to", "Tonga (Tonga Islands)"),
    ("tn", "Tswana"),
    ("ts", "Tsonga"),
    ("tk", "Turkmen"),
    ("tr", "Turkish"),
    ("tw", "Twi"),
    ("ug", "Uighur"),
    ("uk", "Ukrainian"),
    ("ur", "Urdu"),
    ("uz", "Uzbek"),
    ("ve", "Venda"),
    ("vi", "Vietnamese"),
    ("wa", "Walloon"),
    ("wo", "Wolof"),
    ("xh", "Xhosa"),
    ("yi", "Yiddish"),
    ("yo", "Yoruba"),
    ("za", "Zhuang"),
    ("zh", "Chinese"),
    ("zu", "Zulu"),
    ("zh-Hant", "Traditional Chinese"),
    ("zh-Hans", "Simplified Chinese"),
];

/// The label of `id` in an integer enumeration; PeerTube shows `Unknown` for a stale value.
pub fn label(table: &[(i64, &'static str)], id: i64) -> &'static str {
    table.iter().find(|(k, _)| *k == id).map_or("Unknown", |(_, v)| v)
}

/// Whether `id` is a value of the enumeration.
pub fn is_valid(table: &[(i64, &str)], id: i64) -> bool {
    table.iter().any(|(k, _)| *k == id)
}

/// The label of language `code`, `None` when PeerTube does not know it.
pub fn language_label(code: &str) -> Option<&'static str> {
    LANGUAGES.iter().find(|(k, _)| *k == code).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_complete() {
        assert_eq!(CATEGORIES.len(), 18);
        assert_eq!(LICENCES.len(), 7);
        assert_eq!(label(PRIVACIES, 5), "Password protected");
        assert_eq!(label(STATES, 42), "Unknown");
        assert_eq!(language_label("en"), Some("English"));
        let mut codes: Vec<&str> = LANGUAGES.iter().map(|(k, _)| *k).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), LANGUAGES.len(), "language codes are unique");
    }
}

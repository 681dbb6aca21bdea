//! Character column bytes to text, as Debezium decodes them with the Java charset Connector/J
//! maps each MySQL charset to (`new String(bytes, charset)`): malformed input becomes U+FFFD.

use encoding_rs::Encoding;

/// How one MySQL charset is decoded.
enum CharsetDecoder {
    Utf8,
    /// US-ASCII: bytes above 0x7F are malformed.
    Ascii,
    /// ISO-8859-1 (`binary`): each byte is the code point.
    Latin1,
    /// Java's Cp1252 (MySQL `latin1`): like WHATWG windows-1252, but the five undefined bytes
    /// 0x81 0x8D 0x8F 0x90 0x9D decode to U+FFFD.
    Cp1252,
    /// ISO-8859-9 (`latin5`): windows-1254 above 0x9F, C1 controls at 0x80-0x9F.
    Iso8859_9,
    /// Java's "UTF-16": big-endian unless a byte-order mark says otherwise.
    Utf16,
    Utf32Be,
    Whatwg(&'static Encoding),
}

fn decoder(charset: &str) -> CharsetDecoder {
    use encoding_rs::*;
    match charset.trim().to_ascii_lowercase().as_str() {
        "utf8mb4" | "utf8mb3" | "utf8" => CharsetDecoder::Utf8,
        "ascii" => CharsetDecoder::Ascii,
        "binary" => CharsetDecoder::Latin1,
        "latin1" => CharsetDecoder::Cp1252,
        "latin5" => CharsetDecoder::Iso8859_9,
        "utf16" | "ucs2" => CharsetDecoder::Utf16,
        "utf32" => CharsetDecoder::Utf32Be,
        "utf16le" => CharsetDecoder::Whatwg(UTF_16LE),
        "latin2" => CharsetDecoder::Whatwg(ISO_8859_2),
        "latin7" => CharsetDecoder::Whatwg(ISO_8859_13),
        "greek" => CharsetDecoder::Whatwg(ISO_8859_7),
        "hebrew" => CharsetDecoder::Whatwg(ISO_8859_8),
        "cp1250" => CharsetDecoder::Whatwg(WINDOWS_1250),
        "cp1251" => CharsetDecoder::Whatwg(WINDOWS_1251),
        "cp1256" => CharsetDecoder::Whatwg(WINDOWS_1256),
        "cp1257" => CharsetDecoder::Whatwg(WINDOWS_1257),
        "cp866" => CharsetDecoder::Whatwg(IBM866),
        "koi8r" => CharsetDecoder::Whatwg(KOI8_R),
        "koi8u" => CharsetDecoder::Whatwg(KOI8_U),
        "macroman" => CharsetDecoder::Whatwg(MACINTOSH),
        "tis620" => CharsetDecoder::Whatwg(WINDOWS_874),
        "euckr" => CharsetDecoder::Whatwg(EUC_KR),
        "sjis" | "cp932" => CharsetDecoder::Whatwg(SHIFT_JIS),
        "ujis" | "eucjpms" => CharsetDecoder::Whatwg(EUC_JP),
        "gbk" | "gb2312" => CharsetDecoder::Whatwg(GBK),
        "gb18030" => CharsetDecoder::Whatwg(GB18030),
        "big5" => CharsetDecoder::Whatwg(BIG5),
        // No Java mapping known here (dec8, swe7, armscii8, ...): Debezium's UTF-8 fallback.
        _ => CharsetDecoder::Utf8,
    }
}

/// Decodes the bytes of a character column in its MySQL charset (`utf8mb4`, `latin1`, `euckr`,
/// `sjis`, `utf16`, `binary`, ...; case-insensitive). Unknown or missing charsets decode as
/// UTF-8, as Debezium does. Never fails: malformed sequences become U+FFFD.
pub fn decode_charset(charset: Option<&str>, bytes: &[u8]) -> String {
    match charset.map_or(CharsetDecoder::Utf8, decoder) {
        CharsetDecoder::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
        CharsetDecoder::Ascii => bytes
            .iter()
            .map(|&b| {
                if b.is_ascii() {
                    char::from(b)
                } else {
                    '\u{FFFD}'
                }
            })
            .collect(),
        CharsetDecoder::Latin1 => bytes.iter().map(|&b| char::from(b)).collect(),
        CharsetDecoder::Cp1252 => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            text.chars()
                .map(|c| match c {
                    '\u{81}' | '\u{8D}' | '\u{8F}' | '\u{90}' | '\u{9D}' => '\u{FFFD}',
                    c => c,
                })
                .collect()
        }
        CharsetDecoder::Iso8859_9 => bytes
            .iter()
            .map(|&b| match b {
                0x80..=0x9F => char::from(b),
                _ => {
                    let one = [b];
                    let (text, _) = encoding_rs::WINDOWS_1254.decode_without_bom_handling(&one);
                    text.chars().next().unwrap_or('\u{FFFD}')
                }
            })
            .collect(),
        CharsetDecoder::Utf16 => match bytes {
            [0xFE, 0xFF, rest @ ..] => whatwg(encoding_rs::UTF_16BE, rest),
            [0xFF, 0xFE, rest @ ..] => whatwg(encoding_rs::UTF_16LE, rest),
            _ => whatwg(encoding_rs::UTF_16BE, bytes),
        },
        CharsetDecoder::Utf32Be => bytes
            .chunks(4)
            .map(|c| match c {
                [a, b, c, d] => {
                    char::from_u32(u32::from_be_bytes([*a, *b, *c, *d])).unwrap_or('\u{FFFD}')
                }
                _ => '\u{FFFD}',
            })
            .collect(),
        CharsetDecoder::Whatwg(encoding) => whatwg(encoding, bytes),
    }
}

fn whatwg(encoding: &'static Encoding, bytes: &[u8]) -> String {
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}

//! The PNG encoder and the preview, checked structurally and by inflating with another library.
use super::{adler32, crc32, deflate, encode_rgb, zlib};
use crate::tools::preview;
use miniz_oxide::inflate::{decompress_to_vec, decompress_to_vec_zlib};

struct Chunk<'a> {
    kind: &'a [u8],
    data: &'a [u8],
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Split a PNG into chunks, checking the signature, each length and each CRC.
fn chunks(png: &[u8]) -> Vec<Chunk<'_>> {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let mut out = Vec::new();
    let mut at = 8;
    while at < png.len() {
        let len = be32(&png[at..]) as usize;
        let kind = &png[at + 4..at + 8];
        let data = &png[at + 8..at + 8 + len];
        let crc = be32(&png[at + 8 + len..]);
        assert_eq!(crc, crc32(&png[at + 4..at + 8 + len]), "CRC of {}", String::from_utf8_lossy(kind));
        out.push(Chunk { kind, data });
        at += 12 + len;
    }
    assert_eq!(at, png.len());
    out
}

/// Decode our PNG subset (8-bit RGB, one IDAT) back to pixels.
fn decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
    let cs = chunks(png);
    let kinds: Vec<&[u8]> = cs.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, vec![&b"IHDR"[..], b"IDAT", b"IEND"]);
    let (w, h) = (be32(cs[0].data), be32(cs[0].data[4..].as_ref()));
    assert_eq!(&cs[0].data[8..], &[8, 2, 0, 0, 0]);
    assert!(cs[2].data.is_empty());
    let z = cs[1].data;
    assert_eq!((u16::from(z[0]) << 8 | u16::from(z[1])) % 31, 0, "zlib header check bits");
    assert_eq!(z[0] & 0x0f, 8, "deflate");
    let raw = decompress_to_vec_zlib(z).expect("inflate");
    assert_eq!(be32(&z[z.len() - 4..]), adler32(&raw));
    let row = w as usize * 3;
    assert_eq!(raw.len(), (row + 1) * h as usize);
    let mut pixels = Vec::new();
    for line in raw.chunks(row + 1) {
        assert_eq!(line[0], 1, "Sub filter");
        let start = pixels.len();
        for (i, &b) in line[1..].iter().enumerate() {
            let left = if i < 3 { 0 } else { pixels[start + i - 3] };
            pixels.push(b.wrapping_add(left));
        }
    }
    (w, h, pixels)
}

#[test]
fn checksums_match_known_values() {
    assert_eq!(crc32(b""), 0);
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    assert_eq!(crc32(b"IEND"), 0xae42_6082);
    assert_eq!(adler32(b""), 1);
    assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
    let big = vec![0xffu8; 100_000];
    let (mut a, mut b) = (1u64, 0u64);
    for &x in &big {
        a = (a + u64::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    assert_eq!(adler32(&big), ((b << 16) | a) as u32);
}

#[test]
fn deflate_round_trips_through_another_inflater() {
    let mut noisy = Vec::new();
    let mut x = 12345u32;
    for _ in 0..70_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        noisy.push((x >> 24) as u8);
    }
    let repeated: Vec<u8> = b"abcabcabcabd".iter().cycle().take(100_000).copied().collect();
    let cases: Vec<Vec<u8>> = vec![
        Vec::new(),
        vec![7],
        b"ab".to_vec(),
        b"aaaa".to_vec(),
        vec![0; 259],
        vec![0; 70_000],
        (0..=255u8).collect(),
        repeated,
        noisy,
    ];
    for data in cases {
        for row in [0, 1, 4, 12, 769, 40_000] {
            let packed = deflate(&data, row);
            assert_eq!(decompress_to_vec(&packed).expect("inflate"), data, "len {} row {row}", data.len());
            assert_eq!(decompress_to_vec_zlib(&zlib(&data, row)).expect("inflate zlib"), data);
        }
    }
}

#[test]
fn encodes_a_tiny_image_exactly() {
    let pixels = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
    let png = encode_rgb(2, 2, &pixels).expect("encode");
    assert_eq!(decode(&png), (2, 2, pixels.to_vec()));
}

#[test]
fn refuses_mismatched_buffers() {
    assert!(encode_rgb(2, 2, &[0; 11]).is_err());
    assert!(encode_rgb(0, 0, &[]).is_err());
    assert!(encode_rgb(u32::MAX, u32::MAX, &[0; 3]).is_err());
}

#[test]
fn preview_is_a_small_valid_png_of_the_rendered_pixels() {
    let png = preview::render("a lighthouse at dusk, oil painting", 4).expect("render");
    let (w, h, pixels) = decode(&png);
    assert_eq!((w, h), (preview::SIZE, preview::SIZE));
    assert_eq!(pixels, preview::pixels("a lighthouse at dusk, oil painting", 4));
    assert!(png.len() < 8 * 1024, "preview is {} bytes", png.len());
    let distinct: std::collections::HashSet<&[u8]> = pixels.chunks(3).collect();
    assert!(distinct.len() > 20, "a picture, not a flat fill");
}

#[test]
fn preview_is_deterministic_per_prompt_and_steps() {
    let a = preview::render("cat", 4).expect("render");
    assert_eq!(a, preview::render("cat", 4).expect("render"));
    assert_ne!(a, preview::render("cat", 8).expect("render"));
    assert_ne!(a, preview::render("cat.", 4).expect("render"));
    for steps in 4..=8 {
        let png = preview::render(&"🙂 long prompt ".repeat(130), steps).expect("render");
        assert!(png.len() < 8 * 1024, "{} bytes", png.len());
        decode(&png);
    }
}

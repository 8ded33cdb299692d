//! A small PNG encoder for the local image preview: 8-bit RGB, the Sub filter on every row, and
//! a zlib stream with one fixed-Huffman deflate block whose matches repeat the pixel before or
//! the row above (no match search). The preview is flat-shaded, so this keeps it a few KB.

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Encode `rgb` (rows top to bottom, 3 bytes per pixel) as a PNG.
pub fn encode_rgb(width: u32, height: u32, rgb: &[u8]) -> Result<Vec<u8>, &'static str> {
    let row = usize::try_from(width).map_err(|_| "width too large")?.checked_mul(3).ok_or("width too large")?;
    let rows = usize::try_from(height).map_err(|_| "height too large")?;
    if width == 0 || height == 0 || row.checked_mul(rows) != Some(rgb.len()) {
        return Err("pixel buffer does not match the image size");
    }
    let mut filtered = Vec::with_capacity((row + 1) * rows);
    for line in rgb.chunks_exact(row) {
        filtered.push(1); // Sub: each byte minus the same channel of the pixel to its left
        filtered.extend(line.iter().enumerate().map(|(i, &b)| if i < 3 { b } else { b.wrapping_sub(line[i - 3]) }));
    }
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // bit depth 8, truecolour, deflate, adaptive filters, no interlace
    let mut png = SIGNATURE.to_vec();
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &zlib(&filtered, row + 1));
    chunk(&mut png, b"IEND", &[]);
    Ok(png)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    // Chunks here are far below 2^31 bytes (the PNG limit); saturate rather than wrap.
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

pub fn crc32(data: &[u8]) -> u32 {
    !data.iter().fold(!0u32, |c, &b| CRC_TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8))
}

pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the most that cannot overflow u32 before the modulo (zlib's NMAX).
    for block in data.chunks(5552) {
        for &byte in block {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// zlib (RFC 1950): header, deflate stream, Adler-32 of the uncompressed data.
pub fn zlib(data: &[u8], row: usize) -> Vec<u8> {
    let mut out = vec![0x78, 0x01]; // deflate, 32 KiB window, no dictionary; (0x7801 % 31 == 0)
    out.extend_from_slice(&deflate(data, row));
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

const LENGTH_BASE: [u16; 29] =
    [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA: [u8; 29] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] =
    [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const MIN_MATCH: usize = 3;
const MAX_MATCH: usize = 258;
const MAX_DISTANCE: usize = 32_768;

/// Raw deflate (RFC 1951): one final fixed-Huffman block whose matches only ever repeat the
/// pixel before (distance 3) or the byte a row above (distance `row`, when it is within the
/// window) — no match search. Sub-filtered, flat-shaded rows are mostly zero runs and repeats
/// of the row above, so the preview stays a few KB.
pub fn deflate(data: &[u8], row: usize) -> Vec<u8> {
    let mut bits = BitWriter::default();
    bits.put(1, 1); // BFINAL
    bits.put(1, 2); // BTYPE = 01, fixed Huffman
    let distances = [3, row];
    let mut i = 0;
    while i < data.len() {
        let run = |d: usize| {
            if d == 0 || d > i || d > MAX_DISTANCE {
                return 0;
            }
            data[i..].iter().zip(&data[i - d..]).take(MAX_MATCH).take_while(|(a, b)| a == b).count()
        };
        let (len, dist) = distances.iter().map(|&d| (run(d), d)).max().unwrap_or((0, 0));
        if len >= MIN_MATCH {
            put_length(&mut bits, len);
            put_distance(&mut bits, dist);
            i += len;
        } else {
            put_symbol(&mut bits, u16::from(data[i]));
            i += 1;
        }
    }
    put_symbol(&mut bits, 256); // end of block
    bits.finish()
}

/// A literal/length symbol in the fixed code (RFC 1951 §3.2.6); Huffman codes go MSB first.
fn put_symbol(bits: &mut BitWriter, symbol: u16) {
    let (code, len) = match symbol {
        0..=143 => (0x30 + symbol, 8),
        144..=255 => (0x190 + symbol - 144, 9),
        256..=279 => (symbol - 256, 7),
        _ => (0xc0 + symbol - 280, 8),
    };
    bits.put_reversed(u32::from(code), len);
}

fn put_distance(bits: &mut BitWriter, dist: usize) {
    let k = DIST_BASE.iter().rposition(|&b| usize::from(b) <= dist).unwrap_or(0);
    bits.put_reversed(k as u32, 5);
    bits.put((dist - usize::from(DIST_BASE[k])) as u32, u32::from(DIST_EXTRA[k]));
}

fn put_length(bits: &mut BitWriter, len: usize) {
    let k = LENGTH_BASE.iter().rposition(|&b| usize::from(b) <= len).unwrap_or(0);
    put_symbol(bits, 257 + k as u16);
    bits.put((len - usize::from(LENGTH_BASE[k])) as u32, u32::from(LENGTH_EXTRA[k]));
}

#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    /// `count` low bits of `value`, least significant first (header fields, extra bits).
    fn put(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value & ((1u32 << count) - 1)) << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    fn put_reversed(&mut self, code: u32, count: u32) {
        self.put(code.reverse_bits() >> (32 - count), count);
    }
    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

#[cfg(test)]
#[path = "png_tests.rs"]
mod tests;

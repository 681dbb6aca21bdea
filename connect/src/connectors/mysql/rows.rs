//! Row images of a binlog rows event, decoded straight from the event's bytes.
//!
//! mysql_common's `RowsEventRows` builds, for every column of every row, a `Column` with copies
//! of the schema, table and column names, and copies every value out of the event: about a
//! third of the binlog reader's CPU during a catch-up. Here the per-column decoding context
//! (type, metadata, signedness) is worked out once per event and the values borrow from the
//! event. The values themselves are parsed by mysql_common's `BinlogValue`, as before.

use std::io;

use mysql_async::binlog::events::{OptionalMetaExtractor, RowsEventData, TableMapEvent};
use mysql_async::consts::ColumnType;
use mysql_common::binlog::value::BinlogValue;
use mysql_common::io::ParseBuf;
use mysql_common::proto::MyDeserialize;

/// One row image: a value per column of the table (None: not in the image).
pub type Image<'a> = Vec<Option<BinlogValue<'a>>>;

/// (before, after) per row, in event order.
pub type Rows<'a> = Vec<(Option<Image<'a>>, Option<Image<'a>>)>;

/// How to parse each column's value.
struct ColumnCtx<'a> {
    ty: ColumnType,
    meta: &'a [u8],
    unsigned: bool,
}

/// Decodes every row of `rows` against its table map event.
pub fn decode<'a>(rows: &'a RowsEventData<'a>, tme: &'a TableMapEvent<'a>) -> io::Result<Rows<'a>> {
    // The images' column bitmaps, as bools (bitvec is mysql_common's private dependency).
    macro_rules! bits {
        ($cols:expr) => {
            Some($cols.iter().map(|b| *b).collect::<Vec<bool>>())
        };
    }
    let (num_columns, before, after, data) = match rows {
        RowsEventData::WriteRowsEventV1(e) => (
            e.num_columns(),
            None,
            bits!(e.columns_after_image()),
            e.rows_data(),
        ),
        RowsEventData::WriteRowsEvent(e) => (
            e.num_columns(),
            None,
            bits!(e.columns_after_image()),
            e.rows_data(),
        ),
        RowsEventData::UpdateRowsEventV1(e) => (
            e.num_columns(),
            bits!(e.columns_before_image()),
            bits!(e.columns_after_image()),
            e.rows_data(),
        ),
        RowsEventData::UpdateRowsEvent(e) => (
            e.num_columns(),
            bits!(e.columns_before_image()),
            bits!(e.columns_after_image()),
            e.rows_data(),
        ),
        RowsEventData::DeleteRowsEventV1(e) => (
            e.num_columns(),
            bits!(e.columns_before_image()),
            None,
            e.rows_data(),
        ),
        RowsEventData::DeleteRowsEvent(e) => (
            e.num_columns(),
            bits!(e.columns_before_image()),
            None,
            e.rows_data(),
        ),
        // MySQL's partial JSON updates carry a shared image: mysql_common's own decoder.
        RowsEventData::PartialUpdateRowsEvent(e) => {
            let before: Vec<bool> = e.columns_before_image().iter().map(|b| *b).collect();
            let after: Vec<bool> = e.columns_after_image().iter().map(|b| *b).collect();
            return e
                .rows(tme)
                .map(|r| {
                    let (b, a) = r?;
                    Ok((
                        b.map(|row| spread(row.unwrap(), &before)),
                        a.map(|row| spread(row.unwrap(), &after)),
                    ))
                })
                .collect();
        }
    };
    let n = num_columns as usize;
    let columns = contexts(tme, n)?;
    let mut buf = ParseBuf(data);
    let mut out = Vec::new();
    while !buf.is_empty() {
        let left = buf.len();
        let b = match &before {
            Some(cols) => Some(image(&mut buf, &columns, cols)?),
            None => None,
        };
        let a = match &after {
            Some(cols) => Some(image(&mut buf, &columns, cols)?),
            None => None,
        };
        if buf.len() == left {
            // No column in either image: nothing would ever consume the rest.
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "rows event whose images have no columns",
            ));
        }
        out.push((b, a));
    }
    Ok(out)
}

/// Type, metadata and signedness of each column, as mysql_common's row decoder derives them.
fn contexts<'a>(tme: &'a TableMapEvent<'a>, n: usize) -> io::Result<Vec<ColumnCtx<'a>>> {
    let extractor = OptionalMetaExtractor::new(tme.iter_optional_meta())?;
    let mut signedness = extractor.iter_signedness();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let ty = match tme.get_column_type(i) {
            Ok(Some(ty)) => ty,
            Ok(None) => return Err(io::Error::new(io::ErrorKind::InvalidData, "No column type")),
            Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
        };
        let unsigned = ty
            .is_numeric_type()
            .then(|| signedness.next())
            .flatten()
            .unwrap_or_default();
        out.push(ColumnCtx {
            ty,
            meta: tme.get_column_metadata(i).unwrap_or(&[]),
            unsigned,
        });
    }
    Ok(out)
}

/// One image: a null bitmap over the columns present, then their non-null values.
fn image<'a>(
    buf: &mut ParseBuf<'a>,
    columns: &[ColumnCtx<'a>],
    present: &[bool],
) -> io::Result<Image<'a>> {
    let count = present.iter().filter(|p| **p).count();
    let nulls: &[u8] = buf.parse(count.div_ceil(8))?;
    let mut out = Vec::with_capacity(columns.len());
    let mut k = 0;
    for (c, here) in columns.iter().zip(present) {
        if !here {
            out.push(None);
            continue;
        }
        let null = nulls[k / 8] & (1 << (k % 8)) != 0;
        k += 1;
        out.push(Some(if null {
            BinlogValue::Value(mysql_common::Value::NULL)
        } else {
            BinlogValue::deserialize((c.ty, c.meta, c.unsigned, false), buf)?
        }));
    }
    Ok(out)
}

/// Places a mysql_common row (values of the present columns only) at its columns.
fn spread<'a>(values: Vec<BinlogValue<'static>>, present: &[bool]) -> Image<'a> {
    let mut values = values.into_iter();
    present
        .iter()
        .map(|p| if *p { values.next() } else { None })
        .collect()
}

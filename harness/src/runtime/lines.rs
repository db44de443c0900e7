//! The runner's stdout read as lines, within a byte budget per run.
//!
//! Reading is safe to cancel between lines and inside one: what was read is kept until the line
//! is complete, so the caller can race a read against the process's exit.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// One line, or why there is none.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// A line, without its line break.
    Text(String),
    /// A line that is not UTF-8: the first bad byte's offset and the valid text before it.
    NotUtf8 {
        /// The offset of the first byte that is not UTF-8.
        at: usize,
        /// The text before it.
        before: String,
    },
    /// The run wrote more than its budget; nothing more is read.
    OverBudget,
}

/// Lines from `reader`, at most `budget` bytes of them per run.
#[derive(Debug)]
pub(crate) struct Lines<R> {
    reader: R,
    /// The bytes of the line being read.
    pending: Vec<u8>,
    /// How much of `pending` is known to hold no line break.
    scanned: usize,
    /// The bytes read since the budget was set.
    read: u64,
    budget: u64,
}

impl<R: AsyncBufRead + Unpin> Lines<R> {
    pub(crate) fn new(reader: R, budget: u64) -> Self {
        Self {
            reader,
            pending: Vec::new(),
            scanned: 0,
            read: 0,
            budget,
        }
    }

    /// The current budget.
    pub(crate) fn budget(&self) -> u64 {
        self.budget
    }

    /// Starts a new run's budget.
    pub(crate) fn set_budget(&mut self, budget: u64) {
        self.budget = budget;
        self.read = 0;
    }

    /// The next line; `None` at the end of the stream (a last line without a line break is
    /// still a line). A stream that fails to read has ended.
    pub(crate) async fn next(&mut self) -> Option<Line> {
        loop {
            if let Some(end) = self.pending[self.scanned..]
                .iter()
                .position(|b| *b == b'\n')
            {
                let end = self.scanned + end;
                let mut line: Vec<u8> = self.pending.drain(..=end).collect();
                line.pop();
                self.scanned = 0;
                return Some(decode(line));
            }
            self.scanned = self.pending.len();
            if self.read > self.budget {
                return Some(Line::OverBudget);
            }
            let chunk = match self.reader.fill_buf().await {
                Ok(chunk) if !chunk.is_empty() => chunk,
                _ if self.pending.is_empty() => return None,
                _ => {
                    self.scanned = 0;
                    return Some(decode(std::mem::take(&mut self.pending)));
                }
            };
            // Nothing past the budget is kept: a line break beyond it does not count.
            let room = usize::try_from(self.budget.saturating_sub(self.read)).unwrap_or(usize::MAX);
            let taken = chunk.len().min(room);
            self.pending.extend_from_slice(&chunk[..taken]);
            let consumed = chunk.len();
            self.reader.consume(consumed);
            self.read = self.read.saturating_add(consumed as u64);
        }
    }
}

fn decode(line: Vec<u8>) -> Line {
    let mut line = match String::from_utf8(line) {
        Ok(text) => text,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            return Line::NotUtf8 {
                at,
                before: String::from_utf8_lossy(&bytes[..at]).into_owned(),
            };
        }
    };
    if line.ends_with('\r') {
        line.pop();
    }
    Line::Text(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], budget: u64) -> Vec<Line> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            // A tiny buffer makes lines span several reads.
            let reader = tokio::io::BufReader::with_capacity(3, input);
            let mut lines = Lines::new(reader, budget);
            let mut found = Vec::new();
            while let Some(line) = lines.next().await {
                let over = line == Line::OverBudget;
                found.push(line);
                if over {
                    break;
                }
            }
            found
        })
    }

    #[test]
    fn lines_span_reads_and_the_last_needs_no_break() {
        assert_eq!(
            lines(b"first line\r\nsecond\nlast", 1000),
            [
                Line::Text("first line".into()),
                Line::Text("second".into()),
                Line::Text("last".into())
            ]
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_are_located() {
        assert_eq!(
            lines(b"ok\nab\xffcd\n", 1000),
            [
                Line::Text("ok".into()),
                Line::NotUtf8 {
                    at: 2,
                    before: "ab".into()
                }
            ]
        );
    }

    #[test]
    fn the_budget_stops_reading() {
        assert_eq!(
            lines(b"0123456789\n0123456789\n", 15),
            [Line::Text("0123456789".into()), Line::OverBudget]
        );
        // One line longer than the budget never has to be held whole.
        let long = vec![b'x'; 100_000];
        assert_eq!(lines(&long, 10), [Line::OverBudget]);
    }
}

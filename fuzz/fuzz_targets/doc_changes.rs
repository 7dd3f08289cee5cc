//! Any bytes as the changes of a case (the hex-decoded `changes` of a `DocChanges`, up or down),
//! taken as the station takes a device's: merged into the copy it holds, and loaded as a new
//! case. Whatever is accepted must be keepable: saved, the document loads again with the same
//! heads (else the station's copy is damaged for good), and applying the same changes again
//! changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qc_casedoc::CaseDoc;
use qc_fuzz::{held_case, merge_changes};

fuzz_target!(|data: &[u8]| {
    for held in [Some(held_case()), None] {
        let Ok((mut doc, meta)) = merge_changes(held, data) else {
            continue;
        };
        let mut kept = CaseDoc::load(&doc.save(), b"station").expect("what is kept loads again");
        assert_eq!(kept.heads_digests(), meta.heads);
        doc.apply(data).expect("accepted changes apply again");
        assert_eq!(doc.heads_digests(), meta.heads);
    }
});

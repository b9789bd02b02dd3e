# tests/e2e/eval_model.sh: sourced by the 05xx tests: builds a tiny llmake
# checkpoint in ./model (GPT-2 tokenizer, tinyshakespeare, a few steps) and
# docs.jsonl / data/ (its shards).  Needs tests/lib.sh sourced first.
awk 'BEGIN{RS=""; n=0} n<400 {gsub(/\\/,"\\\\"); gsub(/"/,"\\\""); gsub(/\t/,"\\t"); gsub(/\n/,"\\n");
	printf "{\"id\":\"%d\",\"text\":\"%s\\n\"}\n", n, $0; n++}' "$SHARED/tinyshakespeare.txt" >docs.jsonl
ok "encode tinyshakespeare docs" llmake-tokenize encode -t "$SHARED/gpt2-tokenizer.json" \
	--set val_fraction=0 docs.jsonl -o data -q -j 2
ok "train a tiny model" llmake-train data/train_000000.bin -o model --steps 3 -b 2 -t 64 -j 2 -q \
	--set model.hidden_size=32 --set model.intermediate_size=64 --set model.num_hidden_layers=2 \
	--set model.num_attention_heads=4 --set model.num_key_value_heads=2 \
	--set model.max_position_embeddings=256 --set peak_flops=1e11 --set lr=3e-3
cp "$SHARED/gpt2-tokenizer.json" model/tokenizer.json

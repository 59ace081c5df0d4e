// npm run bench: benchmarks arrive with the training engine (see the issues).
console.log('no benchmarks yet');

import { start } from './start.js';

const root = document.getElementById('root');
if (root) void start(window.tsunagu, root);

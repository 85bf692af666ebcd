// Runs once in the browser when the page loads (launch(js=...)).
() => {
  // 1. No question is dropped. Gradio ignores a submit while the previous answer is still
  //    being written; here a question sent meanwhile is queued, shown as queued, and asked
  //    as soon as the answer before it is complete (webui.py calls window.__answerDone).
  //    Gradio reloads the page after a lost connection, and a reload is a new session: the
  //    tab's sessionStorage keeps the conversation (the JSON webui.py sends) and the questions
  //    not yet answered. After a reload webui.py restores the conversation, then calls
  //    window.__answerDone, which asks them again, the unanswered one first. What was being
  //    typed and not yet sent is kept too, and put back in the box.
  const QUESTIONS = 'news-assistant:questions';
  const CONVERSATION = 'news-assistant:conversation';
  const DRAFT = 'news-assistant:draft';
  const read = (key) => {
    try { return sessionStorage.getItem(key); } catch { return null; }  // storage disabled
  };
  const write = (key, value) => {
    // Full or disabled storage: the tab works on, and only a reload loses what it could not keep.
    try { value ? sessionStorage.setItem(key, value) : sessionStorage.removeItem(key); } catch {}
  };
  let kept = {};
  try { kept = JSON.parse(read(QUESTIONS)) || {}; } catch {}
  const queue = [kept.asking, ...(Array.isArray(kept.queued) ? kept.queued : [])].filter((q) => typeof q === 'string' && q);
  let asking = null;  // sent, not yet answered
  let unsent = '';  // what the user was typing when a queued question took the box
  let busy = false;
  let restored = false;  // before, a question sent waits in the queue: the restore would hide it
  const keep = () => write(QUESTIONS, asking || queue.length ? JSON.stringify({asking, queued: queue}) : '');
  window.__saveConversation = (record) => write(CONVERSATION, record);
  window.__savedConversation = () => read(CONVERSATION) || '';
  const box = () => document.querySelector('#question textarea');
  const askButton = () => document.querySelector('#ask');
  const queueList = () => {
    let list = document.querySelector('#queued');
    const status = document.querySelector('#chat-status');
    if (!list && status) {
      list = document.createElement('ol');
      list.id = 'queued';
      list.setAttribute('aria-label', 'Queued questions');
      status.parentElement.insertBefore(list, status);
    }
    return list;
  };
  const render = () => {
    const list = queueList();
    if (list) {
      list.replaceChildren(...queue.map((q) => {
        const item = document.createElement('li');
        item.textContent = `Queued: ${q}`;
        return item;
      }));
    }
    const button = askButton();
    if (button) {
      button.textContent = busy ? 'Queue' : 'Ask';
      button.title = busy ? 'An answer is being written; your question will be asked after it.' : '';
    }
  };
  const setBox = (value) => {
    const area = box();
    area.value = value;
    area.dispatchEvent(new Event('input', {bubbles: true}));
  };
  const intercept = (event) => {
    const area = box();
    if (!area || !area.value.trim()) return;  // an empty question gets the server's message
    write(DRAFT, '');  // sent or queued: no longer a draft
    if (!busy && restored) {  // Gradio sends it
      busy = true;
      asking = area.value.trim();
      keep();
      render();
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    queue.push(area.value.trim());
    keep();
    setBox('');
    render();
  };
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.target === box() && event.isTrusted) {
      intercept(event);
    }
  }, true);
  document.addEventListener('click', (event) => {
    if (event.isTrusted && event.target.closest && event.target.closest('#ask')) intercept(event);
  }, true);
  // Only what the user types: the box also holds queued questions on their way out.
  document.addEventListener('input', (event) => {
    if (event.isTrusted && event.target === box()) write(DRAFT, event.target.value);
  }, true);
  window.__answerDone = () => {
    // The first call follows a (re)load's restore: the draft goes back before any queued
    // question takes the box, which then gives it back like any unsent text.
    const area = box();
    if (!restored && area && !area.value) setBox(read(DRAFT) || '');
    restored = true;
    busy = false;
    asking = null;
    if (queue.length) {
      busy = true;
      asking = queue.shift();
      unsent = box().value;
      setBox(asking);
      // Let Gradio see the new value before the click sends it.
      setTimeout(() => askButton().click(), 50);
    }
    keep();
    render();
  };
  // Sending a question empties the box; one sent from the queue gives back what was typed.
  window.__questionTaken = () => {
    if (unsent) setBox(unsent);
    unsent = '';
  };
  render();

  // 2. A [n] marker in an answer opens source n of that answer in the viewer.
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('#chatbot a[href^="#source-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const bots = [...document.querySelectorAll('#chatbot [data-testid="bot"]')];
    const turn = bots.findIndex((bot) => bot.contains(link));
    const marker = link.getAttribute('href').slice('#source-'.length);
    const request = document.querySelector('#cite-request textarea');
    if (turn < 0 || !request) return;
    request.value = `${turn}:${marker}:${Date.now()}`;
    request.dispatchEvent(new Event('input', {bubbles: true}));
  }, true);

  // 3. Status lines are announced by screen readers when they change.
  //    (The Documents tab is drawn when first opened, so look again until both exist.)
  const labelled = new Set();
  const label = setInterval(() => {
    for (const id of ['#chat-status', '#docs-status']) {
      // The message itself, not the whole block: its progress timer must not be read out.
      const region = document.querySelector(`${id} [data-testid="markdown"]`);
      if (region && !labelled.has(id)) {
        region.setAttribute('role', 'status');
        region.setAttribute('aria-live', 'polite');
        labelled.add(id);
      }
    }
    if (labelled.size === 2) clearInterval(label);
  }, 250);
}
